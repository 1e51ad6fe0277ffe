import { beforeEach, describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { StanzaError } from '@parley/stanza';
import type { ArchiveStore } from '@parley/store';
import { openMemoryStores } from '@parley/store';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_MAM, NS_RSM } from './ns.js';
import { archiveMetadata, parseQuery, queryArchive, queryForm } from './query.js';
import { archivedMessage } from './rules.js';
import { nextArchiveId } from './writer.js';

const ARCHIVE = 'juliet@capulet.lit';
const T0 = Date.UTC(2024, 0, 1);
const OPTS = { maxPageSize: 50, defaultPageSize: 20 };

function query(inner = '', attrs = ''): Element {
  return parseXml(`<query xmlns='${NS_MAM}' ${attrs}>${inner}</query>`);
}

function form(fields: Record<string, string | string[]>, type = 'submit'): string {
  let s = `<x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE' type='hidden'><value>${NS_MAM}</value></field>`;
  for (const [k, v] of Object.entries(fields)) {
    s += `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join('')}</field>`;
  }
  return s + '</x>';
}

function rsm(inner: string): string {
  return `<set xmlns='${NS_RSM}'>${inner}</set>`;
}

function errorOf(fn: () => unknown): StanzaError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

async function rejection(p: Promise<unknown>): Promise<StanzaError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StanzaError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('parseQuery', () => {
  it('reads queryid, the form fields, RSM and flip-page', () => {
    const q = parseQuery(
      query(
        form({
          with: 'Romeo@Montague.lit/Orchard',
          start: '2010-06-07T00:00:00Z',
          end: '2010-07-07T13:23:54Z',
          'after-id': 'a1',
          'before-id': 'b2',
          ids: ['x', 'y', 'x'],
        }) +
          rsm('<max>10</max><after>zz</after>') +
          '<flip-page/>',
        "queryid='f27'",
      ),
    );
    expect(q.queryid).toBe('f27');
    expect(q.with?.toString()).toBe('romeo@montague.lit/Orchard');
    expect(q.start).toBe(Date.UTC(2010, 5, 7));
    expect(q.end).toBe(Date.UTC(2010, 6, 7, 13, 23, 54));
    expect(q.afterId).toBe('a1');
    expect(q.beforeId).toBe('b2');
    expect(q.ids).toEqual(['x', 'y']);
    expect(q.rsm).toEqual({ max: 10, after: 'zz' });
    expect(q.flip).toBe(true);
  });

  it('accepts a bare query and empty fields', () => {
    expect(parseQuery(query())).toEqual({ rsm: {}, flip: false });
    expect(parseQuery(query(form({ with: '', start: '' })))).toEqual({ rsm: {}, flip: false });
  });

  it.each([
    ['a bad date', form({ start: '2010-13-01T00:00:00Z' }), 'bad-request'],
    ['a date without zone', form({ end: '2010-01-01T00:00:00' }), 'bad-request'],
    ['a bad JID', form({ with: 'a@b@c' }), 'bad-request'],
    ['two values for with', form({ with: ['a@b', 'c@d'] }), 'bad-request'],
    ['a form of type form', form({}, 'form'), 'bad-request'],
    [
      'another FORM_TYPE',
      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:x</value></field></x>",
      'bad-request',
    ],
    [
      'a field twice',
      form({}).replace('</x>', "<field var='with'/><field var='with'/></x>"),
      'bad-request',
    ],
    ['two forms', form({}) + form({}), 'bad-request'],
    ['an unknown field', form({ 'include-groupchat': 'true' }), 'feature-not-implemented'],
    ['RSM index paging', rsm('<max>5</max><index>10</index>'), 'feature-not-implemented'],
    ['a bad RSM max', rsm('<max>x</max>'), 'bad-request'],
  ])('refuses %s', (_what, inner, condition) => {
    expect(errorOf(() => parseQuery(query(inner))).condition).toBe(condition);
  });
});

describe('queryForm', () => {
  it('lists the fields, ids with an open validate, nothing required', () => {
    const f = queryForm();
    const x = f.getChild('x', 'jabber:x:data')!;
    expect(x.attr('type')).toBe('form');
    const vars = x.getChildren('field').map((fl) => `${fl.attr('var')}:${fl.attr('type')}`);
    expect(vars).toEqual([
      'FORM_TYPE:hidden',
      'with:jid-single',
      'start:text-single',
      'end:text-single',
      'before-id:text-single',
      'after-id:text-single',
      'ids:list-multi',
    ]);
    const ids = x.getChildren('field').find((fl) => fl.attr('var') === 'ids')!;
    expect(
      ids.getChild('validate', 'http://jabber.org/protocol/xdata-validate')?.getChild('open'),
    ).toBeDefined();
    expect(f.toString()).not.toContain('required');
  });
});

describe('queryArchive', () => {
  let store: ArchiveStore;
  const ids: string[] = [];
  const peers = ['romeo@montague.lit/orchard', 'nurse@capulet.lit/kitchen'];

  beforeEach(async () => {
    store = openMemoryStores().archive;
    ids.length = 0;
    let prev: string | undefined;
    // 120 messages, one per minute, alternating between two peers; some share a millisecond.
    for (let i = 0; i < 120; i++) {
      const ts = T0 + Math.floor(i / 2) * 60_000;
      const id = nextArchiveId(prev, ts, 'aaaaaa');
      prev = id;
      ids.push(id);
      const peer = parseJID(peers[i % 2]!);
      const msg = `<message xmlns='jabber:client' from='${peer}' to='${ARCHIVE}/balcony' type='chat' id='m${i}'><body>${i}</body></message>`;
      expect(await store.append(ARCHIVE, archivedMessage(id, ts, peer, msg))).toBe(true);
    }
  });

  const bodies = (results: Element[]) =>
    results.map((r) => Number(r.getChild('forwarded')!.getChild('message')!.getChildText('body')));
  const set = (fin: Element) => {
    const s = fin.getChild('set', NS_RSM)!;
    return {
      first: s.getChildText('first'),
      index: s.getChild('first')?.attr('index'),
      last: s.getChildText('last'),
      count: s.getChildText('count'),
    };
  };

  it('pages forwards with <after/>, every message once, in order', async () => {
    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const { results, fin } = await queryArchive(
        store,
        ARCHIVE,
        query(rsm(`<max>50</max>${after ? `<after>${after}</after>` : ''}`), "queryid='q1'"),
        OPTS,
      );
      pages++;
      seen.push(...bodies(results));
      const s = set(fin);
      expect(s.count).toBe('120');
      expect(fin.attr('queryid')).toBe('q1');
      for (const r of results) expect(r.attr('queryid')).toBe('q1');
      if (fin.attr('complete') === 'true') break;
      expect(s.index).toBe(String((pages - 1) * 50));
      after = s.last;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...Array(120).keys()]);
  });

  it('pages backwards from the end with <before/>', async () => {
    const pagesSeen: number[][] = [];
    let before = '';
    for (;;) {
      const { results, fin } = await queryArchive(
        store,
        ARCHIVE,
        query(rsm(`<max>50</max><before>${before}</before>`)),
        OPTS,
      );
      pagesSeen.push(bodies(results));
      const s = set(fin);
      expect(s.index).toBe(String(120 - pagesSeen.flat().length));
      if (fin.attr('complete') === 'true') break;
      before = s.first!;
    }
    expect(pagesSeen.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pagesSeen[0]).toEqual([...Array(50).keys()].map((i) => i + 70));
    expect(pagesSeen.reverse().flat()).toEqual([...Array(120).keys()]);
  });

  it('uses the default page size, clamps <max/> and reports results and RSM ids', async () => {
    const a = await queryArchive(store, ARCHIVE, query(), OPTS);
    expect(a.results).toHaveLength(20);
    expect(a.fin.attr('complete')).toBeUndefined();
    const s = set(a.fin);
    expect(s).toEqual({ first: ids[0], index: '0', last: ids[19], count: '120' });
    expect(a.results[0]!.attr('id')).toBe(ids[0]);
    const b = await queryArchive(store, ARCHIVE, query(rsm('<max>1000</max>')), OPTS);
    expect(b.results).toHaveLength(50);
  });

  it('builds results with forwarded, delay and the message in jabber:client', async () => {
    const { results } = await queryArchive(
      store,
      ARCHIVE,
      query(rsm('<max>1</max>'), "queryid='z'"),
      OPTS,
    );
    const r = results[0]!;
    expect(r.is('result', NS_MAM)).toBe(true);
    expect(r.attr('queryid')).toBe('z');
    const fwd = r.getChild('forwarded', 'urn:xmpp:forward:0')!;
    expect(fwd.getChild('delay', 'urn:xmpp:delay')!.attr('stamp')).toBe('2024-01-01T00:00:00.000Z');
    const m = fwd.getChild('message')!;
    expect(m.attr('xmlns')).toBe('jabber:client');
    expect(m.attr('id')).toBe('m0');
  });

  it('answers <max>0</max> with the count only', async () => {
    const { results, fin } = await queryArchive(store, ARCHIVE, query(rsm('<max>0</max>')), OPTS);
    expect(results).toHaveLength(0);
    expect(fin.attr('complete')).toBeUndefined();
    expect(set(fin)).toEqual({ first: undefined, index: undefined, last: undefined, count: '120' });
  });

  it('filters by bare and full with, start and end', async () => {
    const romeo = await queryArchive(
      store,
      ARCHIVE,
      query(form({ with: 'romeo@montague.lit' }) + rsm('<max>50</max>')),
      OPTS,
    );
    // Pages filtered by `with` carry no count (it would read the whole archive)...
    expect(set(romeo.fin).count).toBeUndefined();
    expect(romeo.results).toHaveLength(50);
    expect(bodies(romeo.results).every((b) => b % 2 === 0)).toBe(true);
    const full = await queryArchive(
      store,
      ARCHIVE,
      query(form({ with: 'nurse@capulet.lit/kitchen' })),
      OPTS,
    );
    expect(full.results).toHaveLength(OPTS.defaultPageSize);
    // ...unless the count is all that is asked for.
    const counted = await queryArchive(
      store,
      ARCHIVE,
      query(form({ with: 'nurse@capulet.lit/kitchen' }) + rsm('<max>0</max>')),
      OPTS,
    );
    expect(set(counted.fin).count).toBe('60');
    const other = await queryArchive(
      store,
      ARCHIVE,
      query(form({ with: 'nurse@capulet.lit/x' })),
      OPTS,
    );
    expect(other.results).toHaveLength(0);
    expect(other.fin.attr('complete')).toBe('true');
    // Minutes 10..19 inclusive: messages 20..39.
    const window = await queryArchive(
      store,
      ARCHIVE,
      query(
        form({ start: '2024-01-01T00:10:00Z', end: '2024-01-01T00:19:00.000Z' }) +
          rsm('<max>50</max>'),
      ),
      OPTS,
    );
    expect(bodies(window.results)).toEqual([...Array(20).keys()].map((i) => i + 20));
    expect(window.fin.attr('complete')).toBe('true');
    const afterEnd = await queryArchive(
      store,
      ARCHIVE,
      query(form({ start: '2030-01-01T00:00:00Z' })),
      OPTS,
    );
    expect(afterEnd.results).toHaveLength(0);
  });

  it('takes before-id/after-id as bounds and ids as a selection', async () => {
    const between = await queryArchive(
      store,
      ARCHIVE,
      query(form({ 'after-id': ids[10]!, 'before-id': ids[15]! })),
      OPTS,
    );
    expect(bodies(between.results)).toEqual([11, 12, 13, 14]);
    expect(set(between.fin).count).toBe('4');
    expect(between.fin.attr('complete')).toBe('true');
    const picked = await queryArchive(
      store,
      ARCHIVE,
      query(form({ ids: [ids[7]!, ids[3]!] })),
      OPTS,
    );
    expect(bodies(picked.results)).toEqual([3, 7]);
    // RSM <before/> within before-id: the last page before ids[15].
    const last = await queryArchive(
      store,
      ARCHIVE,
      query(form({ 'before-id': ids[15]! }) + rsm('<max>3</max><before/>')),
      OPTS,
    );
    expect(bodies(last.results)).toEqual([12, 13, 14]);
    expect(set(last.fin).index).toBe('12');
    // RSM <after/> inside an after-id window: the later of the two wins.
    const later = await queryArchive(
      store,
      ARCHIVE,
      query(form({ 'after-id': ids[5]! }) + rsm(`<max>2</max><after>${ids[50]}</after>`)),
      OPTS,
    );
    expect(bodies(later.results)).toEqual([51, 52]);
    expect(set(later.fin).index).toBe('45');
    expect(set(later.fin).count).toBe('114');
  });

  it('sends a flipped page newest first without changing the page', async () => {
    const { results, fin } = await queryArchive(
      store,
      ARCHIVE,
      query(rsm('<max>5</max><before/>') + '<flip-page/>'),
      OPTS,
    );
    expect(bodies(results)).toEqual([119, 118, 117, 116, 115]);
    expect(set(fin)).toMatchObject({ first: ids[115], last: ids[119], index: '115' });
  });

  it.each([
    ['RSM after', () => query(rsm('<after>nope</after>'))],
    ['RSM before', () => query(rsm('<before>nope</before>'))],
    ['after-id', () => query(form({ 'after-id': 'nope' }))],
    ['before-id', () => query(form({ 'before-id': 'nope' }))],
    ['ids', () => query(form({ ids: ['nope'] }))],
  ])('answers item-not-found for an unknown id in %s', async (_what, q) => {
    const err = await rejection(queryArchive(store, ARCHIVE, q(), OPTS));
    expect(err.condition).toBe('item-not-found');
  });

  it('answers item-not-found for an unknown id of another archive', async () => {
    const err = await rejection(
      queryArchive(store, 'romeo@montague.lit', query(rsm(`<after>${ids[3]}</after>`)), OPTS),
    );
    expect(err.condition).toBe('item-not-found');
  });

  it('refuses a pubsub node unless asked to accept one', async () => {
    const err = await rejection(queryArchive(store, ARCHIVE, query('', "node='n'"), OPTS));
    expect(err.condition).toBe('item-not-found');
  });

  it('leaves count and index out when counting is off', async () => {
    const { fin } = await queryArchive(store, ARCHIVE, query(), { ...OPTS, count: false });
    expect(set(fin)).toEqual({ first: ids[0], index: undefined, last: ids[19], count: undefined });
  });

  it('lets the caller transform messages and map with (room archives)', async () => {
    const { results } = await queryArchive(
      store,
      ARCHIVE,
      query(form({ with: 'room@muc.lit/romeo' }) + rsm('<max>2</max>')),
      {
        ...OPTS,
        withFilter: (j) => ({ with: j.resource === 'romeo' ? 'romeo@montague.lit' : 'x@y' }),
        transform: (m) => {
          m.setAttr('to', undefined);
          return m;
        },
      },
    );
    expect(bodies(results)).toEqual([0, 2]);
    expect(results[0]!.getChild('forwarded')!.getChild('message')!.attr('to')).toBeUndefined();
  });

  it('accepts an already parsed query', async () => {
    const parsed = parseQuery(query(rsm('<max>2</max><before/>'), "queryid='p'"));
    const { results, fin } = await queryArchive(store, ARCHIVE, parsed, OPTS);
    expect(bodies(results)).toEqual([118, 119]);
    expect(fin.attr('queryid')).toBe('p');
  });

  it('answers an empty archive with complete and count 0', async () => {
    const { results, fin } = await queryArchive(store, 'empty@capulet.lit', query(), OPTS);
    expect(results).toEqual([]);
    expect(fin.attr('complete')).toBe('true');
    expect(set(fin).count).toBe('0');
    expect(set(fin).first).toBeUndefined();
  });

  it('gives the metadata of an archive', async () => {
    const md = await archiveMetadata(store, ARCHIVE);
    expect(md.getChild('start')!.attr('id')).toBe(ids[0]);
    expect(md.getChild('end')!.attr('id')).toBe(ids[119]);
    expect(md.getChild('end')!.attr('timestamp')).toBe('2024-01-01T00:59:00.000Z');
    expect((await archiveMetadata(store, 'empty@x.lit')).children).toHaveLength(0);
  });
});
