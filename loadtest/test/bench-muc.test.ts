import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import {
  defaultRoom,
  markSeen,
  parseMucBody,
  stanzaErrorText,
  statusCodes,
} from '../src/bench-muc.js';

describe('MUC benchmark helpers', () => {
  it('parses benchmark bodies and ignores others', () => {
    expect(parseMucBody('3 17 12345.678')).toEqual({ sender: 3, seq: 17, ts: 12345.678 });
    expect(parseMucBody('hello')).toBeUndefined();
    expect(parseMucBody('a b c')).toBeUndefined();
    expect(parseMucBody('1 2')).toBeUndefined();
  });

  it('reads the status codes of a self-presence', () => {
    const p = parseXml(
      '<presence from="bench@conference.localhost/load1"><x xmlns="http://jabber.org/protocol/muc#user">' +
        '<item affiliation="owner" role="moderator"/><status code="110"/><status code="201"/></x></presence>',
    );
    expect(statusCodes(p)).toEqual(['110', '201']);
    expect(statusCodes(parseXml('<presence/>'))).toEqual([]);
  });

  it('describes error stanzas', () => {
    const p = parseXml(
      '<presence type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">full</text></error></presence>',
    );
    expect(stanzaErrorText(p)).toBe('service-unavailable (full)');
  });

  it('tells duplicates from first receipts, growing the bitmaps', () => {
    const maps = [new Uint8Array(1), new Uint8Array(1)];
    expect(markSeen(maps, 0, 3)).toBe(false);
    expect(markSeen(maps, 0, 3)).toBe(true);
    expect(markSeen(maps, 1, 3)).toBe(false);
    expect(markSeen(maps, 0, 1000)).toBe(false);
    expect(maps[0]!.length).toBeGreaterThan(125);
    expect(markSeen(maps, 0, 1000)).toBe(true);
    expect(markSeen(maps, 0, 3)).toBe(true);
  });

  it('derives the room from the user pattern', () => {
    expect(defaultRoom('load%d@localhost')).toBe('bench@conference.localhost');
    expect(defaultRoom('u%d@example.org')).toBe('bench@conference.example.org');
  });
});
