import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryArchive } from '@parley/mam';
import { openLmdbStores } from '@parley/store';
import { parseXml, xml } from '@parley/xml';
import {
  checkMamAnswer,
  mamQueryIq,
  mamQuerySpecs,
  NS_MAM,
  prefillArchive,
  prefillBody,
  prefillMessage,
} from '../src/bench-mam.js';
import type { MamQuerySpec, PrefilledArchive } from '../src/bench-mam.js';

const owner = 'load1@localhost';
const partners: [string, string] = ['load2@localhost', 'load3@localhost'];

describe('MAM benchmark: pre-fill, queries and answer checks', () => {
  let dataDir: string;
  let archive: PrefilledArchive;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-mam-'));
    archive = await prefillArchive(dataDir, { owner, partners, messages: 333, log: () => {} });
  });

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('writes messages in id and time order, alternating partners and directions', () => {
    expect(archive.ids).toHaveLength(333);
    expect([...archive.ids].sort()).toEqual(archive.ids);
    const out = prefillMessage(owner, partners, 0, 'x', 1);
    expect(out).toMatchObject({ with: 'load2@localhost' });
    expect(out.withResource).toBeUndefined();
    expect(out.xml).toContain('from="load1@localhost/load" to="load2@localhost"');
    const incoming = prefillMessage(owner, partners, 3, 'y', 2);
    expect(incoming).toMatchObject({ with: 'load3@localhost', withResource: 'load' });
    expect(parseXml(incoming.xml).getChildText('body')).toBe(prefillBody(3));
    expect(prefillBody(7)).toBe(prefillBody(7));
  });

  it("answers every query kind the way the spec expects (the server's query code)", async () => {
    const stores = await openLmdbStores(join(dataDir, 'db'));
    try {
      const specs = mamQuerySpecs(archive, 50, 120);
      expect(specs.map((s) => s.kind)).toEqual(['last', 'with', 'range']);
      for (const spec of specs) {
        const query = parseXml(mamQueryIq(spec, 'q1')).getChild('query', NS_MAM)!;
        const { results, fin } = await queryArchive(stores.archive, owner, query, {
          maxPageSize: 100,
          defaultPageSize: 50,
        });
        const ids = results.map((r) => r.attr('id')!);
        const iq = xml('iq', { type: 'result', id: 'q1' }, fin);
        expect(checkMamAnswer(spec, ids, 0, iq), spec.kind).toBeUndefined();
        expect(ids).toHaveLength(50);
      }
      const [last, withPartner, range] = specs as [MamQuerySpec, MamQuerySpec, MamQuerySpec];
      expect(last.expectIds.at(-1)).toBe(archive.ids[332]);
      expect(last.expectCount).toBe(333);
      expect(withPartner.expectCount).toBe(167);
      expect(withPartner.expectIds.at(-1)).toBe(archive.ids[332]);
      expect(range.expectIds[0]).toBe(archive.ids[166]);
      expect(range.expectCount).toBe(120);
    } finally {
      await stores.close();
    }
  });

  it('reports what is wrong with an answer', () => {
    const [spec] = mamQuerySpecs(archive, 50, 100) as [MamQuerySpec];
    const fin = (count: number, first: string, last: string, index: number) =>
      xml(
        'iq',
        { type: 'result', id: 'q' },
        xml(
          'fin',
          { xmlns: NS_MAM },
          xml(
            'set',
            { xmlns: 'http://jabber.org/protocol/rsm' },
            xml('first', { index }, first),
            xml('last', {}, last),
            xml('count', {}, String(count)),
          ),
        ),
      );
    const ids = spec.expectIds;
    const good = fin(333, ids[0]!, ids.at(-1)!, 283);
    expect(checkMamAnswer(spec, ids, 0, good)).toBeUndefined();
    expect(checkMamAnswer(spec, ids.slice(1), 0, good)).toMatch(/49 results/);
    expect(checkMamAnswer(spec, [...ids].reverse(), 0, good)).toMatch(/result 0 has id/);
    expect(checkMamAnswer(spec, ids, 2, good)).toMatch(/without a forwarded/);
    expect(checkMamAnswer(spec, ids, 0, fin(332, ids[0]!, ids.at(-1)!, 283))).toMatch(/count 332/);
    expect(checkMamAnswer(spec, ids, 0, fin(333, ids[0]!, ids.at(-1)!, 0))).toMatch(/index 0/);
    const error = parseXml(
      '<iq type="error" id="q"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>',
    );
    expect(checkMamAnswer(spec, ids, 0, error)).toBe('IQ error item-not-found');
  });
});
