import { describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import { readHistoryRequest, selectHistory } from './history.js';
import type { HistoryEntry } from './room.js';

const now = Date.parse('2024-01-01T12:00:00Z');
const entries: HistoryEntry[] = [1, 2, 3, 4, 5].map((i) => ({
  xml: `<message>${'x'.repeat(i * 10)}</message>`,
  ts: now - (6 - i) * 60_000,
  nick: `n${i}`,
}));
const pick = (req: Parameters<typeof selectHistory>[2], length = 20) =>
  selectHistory(entries, length, req, now, (e) => e.xml.length).map((e) => e.nick);

describe('discussion history selection (XEP-0045 7.2.15)', () => {
  it('sends up to the room history length by default, oldest first', () => {
    expect(pick(undefined)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(pick(undefined, 2)).toEqual(['n4', 'n5']);
    expect(pick(undefined, 0)).toEqual([]);
  });

  it('applies maxstanzas, maxchars, seconds and since together', () => {
    expect(pick({ maxstanzas: 3 })).toEqual(['n3', 'n4', 'n5']);
    expect(pick({ maxchars: 0 })).toEqual([]);
    // n5 is 69 characters, n4 59: 128 fit, one more does not.
    expect(pick({ maxchars: 128 })).toEqual(['n4', 'n5']);
    expect(pick({ seconds: 150 })).toEqual(['n4', 'n5']);
    expect(pick({ since: now - 3 * 60_000 })).toEqual(['n3', 'n4', 'n5']);
    expect(pick({ since: now - 3 * 60_000, maxstanzas: 1 })).toEqual(['n5']);
  });

  it('reads the <history/> attributes, ignoring malformed ones', () => {
    expect(readHistoryRequest(undefined)).toBeUndefined();
    expect(
      readHistoryRequest(
        xml('history', {
          maxstanzas: '5',
          maxchars: 'lots',
          seconds: '60',
          since: '2024-01-01T11:00:00Z',
        }),
      ),
    ).toEqual({ maxstanzas: 5, seconds: 60, since: Date.parse('2024-01-01T11:00:00Z') });
  });
});
