/**
 * XEP-0313 Message Archive Management against the real server with
 * @xmpp/client: two users exchange 120 messages (some while the recipient
 * is offline), then page through their archives both ways and filter them.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import {
  NS_PING,
  bareOf,
  errorCondition,
  isMessage,
  nextId,
  useScenario,
} from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';
import { WAIT } from './harness.js';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_SID = 'urn:xmpp:sid:0';
const NS_FORWARD = 'urn:xmpp:forward:0';

const chat = (to: string, body: string) =>
  xml('message', { to, type: 'chat', id: nextId('m') }, xml('body', {}, body));

function stanzaId(el: Element, by: string): string | undefined {
  return el.getChildren('stanza-id', NS_SID).find((s) => s.attrs.by === by)?.attrs.id;
}

interface Page {
  reply: Element;
  results: Element[];
  fin?: Element;
}

interface Row {
  id: string;
  body: string;
  from: string;
  stamp: string;
}

/** Runs one query; the results are the messages carrying its queryid, received before the IQ result. */
async function mamQuery(
  p: Peer,
  opts: {
    to?: string;
    fields?: Record<string, string | string[]>;
    rsm?: Element[];
    flip?: boolean;
  } = {},
): Promise<Page> {
  const queryid = nextId('q');
  const children: Element[] = [];
  if (opts.fields) {
    const fields = Object.entries(opts.fields).map(([k, v]) =>
      xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s))),
    );
    children.push(
      xml(
        'x',
        { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
        ...fields,
      ),
    );
  }
  if (opts.rsm) children.push(xml('set', { xmlns: NS_RSM }, ...opts.rsm));
  if (opts.flip) children.push(xml('flip-page'));
  const start = p.log.length;
  const reply = await p.iq('set', opts.to, xml('query', { xmlns: NS_MAM, queryid }, ...children));
  const until = p.log.indexOf(reply);
  const results = p.log
    .slice(start, until)
    .filter((el) => el.is('message') && el.getChild('result', NS_MAM)?.attrs.queryid === queryid);
  // Nothing of this query may arrive after its IQ result: up to the answer to a ping sent to
  // the same address after it (answered after it, in order, where the query was), nothing did.
  await p.iq('get', opts.to, xml('ping', { xmlns: NS_PING }));
  const late = p.log
    .slice(until)
    .filter((el) => el.getChild('result', NS_MAM)?.attrs.queryid === queryid);
  expect(late).toHaveLength(0);
  return { reply, results, fin: reply.getChild('fin', NS_MAM) };
}

function rows(results: Element[]): Row[] {
  return results.map((m) => {
    const result = m.getChild('result', NS_MAM)!;
    const fwd = result.getChild('forwarded', NS_FORWARD)!;
    const msg = fwd.getChild('message')!;
    return {
      id: String(result.attrs.id),
      body: msg.getChildText('body') ?? '',
      from: String(msg.attrs.from),
      stamp: String(fwd.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp),
    };
  });
}

function rsm(fin: Element | undefined) {
  const set = fin?.getChild('set', NS_RSM);
  return {
    first: set?.getChildText('first') ?? undefined,
    index: set?.getChild('first')?.attrs.index,
    last: set?.getChildText('last') ?? undefined,
    count: set?.getChildText('count') ?? undefined,
    complete: fin?.attrs.complete === 'true',
  };
}

const max = (n: number) => xml('max', {}, String(n));

/** Pages forwards with <after/> until complete. */
async function pageForwards(p: Peer, size: number, fields?: Record<string, string>) {
  const pages: Row[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await mamQuery(p, {
      ...(fields ? { fields } : {}),
      rsm: [max(size), ...(after ? [xml('after', {}, after)] : [])],
    });
    expect(page.reply.attrs.type).toBe('result');
    const r = rows(page.results);
    pages.push(r);
    const s = rsm(page.fin);
    if (r.length > 0) {
      expect(s.first).toBe(r[0]!.id);
      expect(s.last).toBe(r[r.length - 1]!.id);
    }
    if (s.complete) return pages;
    expect(pages.length).toBeLessThan(100);
    after = s.last;
  }
}

/** Pages backwards from the end with <before/> until complete; pages in the order fetched. */
async function pageBackwards(p: Peer, size: number) {
  const pages: Row[][] = [];
  let before = '';
  for (;;) {
    const page = await mamQuery(p, { rsm: [max(size), xml('before', {}, before)] });
    expect(page.reply.attrs.type).toBe('result');
    pages.push(rows(page.results));
    const s = rsm(page.fin);
    if (s.complete) return pages;
    expect(pages.length).toBeLessThan(100);
    before = s.first!;
  }
}

describe('XEP-0313: Message Archive Management', () => {
  // In-band registration for the account removal test.
  const s = useScenario({ registration: { enabled: true } });

  describe('two users, 120 messages', () => {
    let alice: string;
    let bob: string;
    /** Bodies in the order sent (every message is in both archives). */
    const sent: string[] = [];
    /** Stanza-id each recipient got, by body. */
    const delivered = new Map<string, string>();

    beforeAll(async () => {
      [alice, bob] = (await s.users('alice', 'bob')) as [string, string];
      let a = await s.login(alice, { priority: 0, resource: 'desk' });
      let b = await s.login(bob, { priority: 0, resource: 'phone' });
      const exchange = async (from: Peer, to: Peer, body: string) => {
        sent.push(body);
        await from.send(chat(to.bare, body));
        const got = await to.next(isMessage({ body }), 4000, body);
        delivered.set(body, stanzaId(got, to.bare)!);
      };
      // 60 messages both ways while both are online.
      for (let i = 0; i < 60; i++) {
        if (i % 2 === 0) await exchange(a, b, `online ${i}`);
        else await exchange(b, a, `online ${i}`);
      }
      // 30 to bob while he is offline, delivered from offline storage at his next login.
      await b.stop();
      await s.settle(a);
      for (let i = 0; i < 30; i++) {
        sent.push(`offline-bob ${i}`);
        await a.send(chat(bob, `offline-bob ${i}`));
      }
      await s.settle(a);
      b = await s.login(bob, { resource: 'phone' });
      b.mark();
      await b.available({ priority: 0 });
      for (let i = 0; i < 30; i++) {
        const got = await b.next(isMessage({ body: `offline-bob ${i}` }), 4000);
        delivered.set(`offline-bob ${i}`, stanzaId(got, bob)!);
      }
      // 30 to alice while she is offline.
      await a.stop();
      await s.settle(b);
      for (let i = 0; i < 30; i++) {
        sent.push(`offline-alice ${i}`);
        await b.send(chat(alice, `offline-alice ${i}`));
      }
      await s.settle(b);
      a = await s.login(alice, { resource: 'desk' });
      a.mark();
      await a.available({ priority: 0 });
      for (let i = 0; i < 30; i++) {
        const got = await a.next(isMessage({ body: `offline-alice ${i}` }), 4000);
        delivered.set(`offline-alice ${i}`, stanzaId(got, alice)!);
      }
      await s.settle(a, b);
    }, 60_000);

    it('stamped every delivered message with a distinct stanza-id of the recipient archive', () => {
      expect(sent).toHaveLength(120);
      expect(delivered.size).toBe(120);
      for (const id of delivered.values()) expect(id).toMatch(/^[0-9a-z]{18}$/);
      expect(new Set(delivered.values()).size).toBe(120);
    });

    async function peerOf(bare: string, resource: string): Promise<Peer> {
      return s.login(bare, { resource: `${resource}-${nextId('r')}` });
    }

    for (const who of ['alice', 'bob'] as const) {
      it(`${who} pages forwards with max=50 and <after/>: every message once, in order`, async () => {
        const owner = who === 'alice' ? alice : bob;
        const p = await peerOf(owner, 'fwd');
        const pages = await pageForwards(p, 50);
        expect(pages.map((pg) => pg.length)).toEqual([50, 50, 20]);
        const all = pages.flat();
        expect(all.map((r) => r.body)).toEqual(sent);
        const ids = all.map((r) => r.id);
        expect([...ids].sort()).toEqual(ids);
        expect(new Set(ids).size).toBe(120);
        // Received messages: the archive id is the stanza-id that came with the message.
        for (const r of all) if (bareOf(r.from) !== owner) expect(r.id).toBe(delivered.get(r.body));
      });

      it(`${who} pages backwards from the end with <before/>`, async () => {
        const owner = who === 'alice' ? alice : bob;
        const p = await peerOf(owner, 'back');
        const pages = await pageBackwards(p, 50);
        expect(pages.map((pg) => pg.length)).toEqual([50, 50, 20]);
        expect(pages[0]!.map((r) => r.body)).toEqual(sent.slice(70));
        expect(
          pages
            .reverse()
            .flat()
            .map((r) => r.body),
        ).toEqual(sent);
      });
    }

    it('reports count, first index and complete', async () => {
      const p = await peerOf(alice, 'rsm');
      const first = await mamQuery(p, { rsm: [max(50)] });
      expect(rsm(first.fin)).toMatchObject({ index: '0', count: '120', complete: false });
      const last = await mamQuery(p, { rsm: [max(50), xml('before')] });
      expect(rsm(last.fin)).toMatchObject({ index: '70', count: '120', complete: false });
      const count = await mamQuery(p, { rsm: [max(0)] });
      expect(count.results).toHaveLength(0);
      expect(rsm(count.fin).count).toBe('120');
    });

    it('filters by with, start and end', async () => {
      const [carol] = (await s.users('carol')) as [string];
      const c = await s.login(carol, { priority: 0 });
      const a = await peerOf(alice, 'filter');
      for (let i = 0; i < 3; i++) await c.send(chat(alice, `from carol ${i}`));
      await s.settle(c, a);

      const withCarol = await mamQuery(a, { fields: { with: carol } });
      expect(rows(withCarol.results).map((r) => r.body)).toEqual([
        'from carol 0',
        'from carol 1',
        'from carol 2',
      ]);
      // No count on pages filtered by `with`, except when only the count is asked for (max 0).
      expect(rsm(withCarol.fin)).toMatchObject({ complete: true });
      expect(rsm(withCarol.fin).count).toBeUndefined();
      const withBob = await mamQuery(a, { fields: { with: bob }, rsm: [max(0)] });
      expect(rsm(withBob.fin).count).toBe('120');
      const withCarolFull = await mamQuery(a, { fields: { with: `${c.jid}` } });
      expect(withCarolFull.results).toHaveLength(3);
      const withOtherResource = await mamQuery(a, { fields: { with: `${carol}/elsewhere` } });
      expect(withOtherResource.results).toHaveLength(0);

      // Time window: from the 41st to the 80th message's timestamp, inclusive.
      const everything = (await pageForwards(a, 100)).flat();
      const from = everything[40]!.stamp;
      const until = everything[79]!.stamp;
      const expected = everything.filter((r) => r.stamp >= from && r.stamp <= until);
      const windowed = (await pageForwards(a, 100, { start: from, end: until })).flat();
      expect(windowed.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      expect(windowed.length).toBeGreaterThanOrEqual(40);
      const future = await mamQuery(a, { fields: { start: '2999-01-01T00:00:00Z' } });
      expect(future.results).toHaveLength(0);
      expect(rsm(future.fin).complete).toBe(true);

      const bad = await mamQuery(a, { fields: { start: 'last tuesday' } });
      expect(errorCondition(bad.reply)).toBe('bad-request');
      const badJid = await mamQuery(a, { fields: { with: 'not@a@jid' } });
      expect(errorCondition(badJid.reply)).toBe('bad-request');
      const unknown = await mamQuery(a, { rsm: [xml('after', {}, 'no-such-id')] });
      expect(errorCondition(unknown.reply)).toBe('item-not-found');
    });

    it('selects by ids and between before-id and after-id (#extended), flips pages', async () => {
      const a = await peerOf(alice, 'ext');
      const everything = (await pageForwards(a, 100)).flat();
      const ids = await mamQuery(a, { fields: { ids: [everything[7]!.id, everything[3]!.id] } });
      expect(rows(ids.results).map((r) => r.body)).toEqual([
        everything[3]!.body,
        everything[7]!.body,
      ]);
      const between = await mamQuery(a, {
        fields: { 'after-id': everything[10]!.id, 'before-id': everything[14]!.id },
      });
      expect(rows(between.results).map((r) => r.id)).toEqual(
        everything.slice(11, 14).map((r) => r.id),
      );
      const flipped = await mamQuery(a, { rsm: [max(3), xml('before')], flip: true });
      expect(rows(flipped.results).map((r) => r.id)).toEqual(
        everything
          .slice(-3)
          .reverse()
          .map((r) => r.id),
      );
    });
  });

  it('advertises urn:xmpp:mam:2 and #extended on the account and the server', async () => {
    const [dave] = (await s.users('dave')) as [string];
    const d = await s.login(dave);
    for (const target of [dave, 'localhost']) {
      const features = await d.discoFeatures(target);
      expect(features).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, NS_SID]));
    }
  });

  it('answers the form of query fields', async () => {
    const [erin] = (await s.users('erin')) as [string];
    const e = await s.login(erin);
    const reply = await e.iq('get', undefined, xml('query', { xmlns: NS_MAM }));
    const vars = reply
      .getChild('query', NS_MAM)!
      .getChild('x', 'jabber:x:data')!
      .getChildren('field')
      .map((f) => f.attrs.var);
    expect(vars).toEqual(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
  });

  it('refuses queries and preferences of somebody else archive', async () => {
    const [mallory, victim] = (await s.users('mallory', 'victim')) as [string, string];
    const m = await s.login(mallory, { priority: 0 });
    const q = await mamQuery(m, { to: victim });
    expect(q.reply.attrs.type).toBe('error');
    expect(errorCondition(q.reply)).toBe('forbidden');
    expect(q.results).toHaveLength(0);
    const prefs = await m.iq('get', victim, xml('prefs', { xmlns: NS_MAM }));
    expect(errorCondition(prefs)).toBe('forbidden');
  });

  it('keeps preferences and follows them', async () => {
    const [frank, grace, heidi] = (await s.users('frank', 'grace', 'heidi')) as [
      string,
      string,
      string,
    ];
    const f = await s.login(frank, { priority: 0 });
    const g = await s.login(grace, { priority: 0 });
    const h = await s.login(heidi, { priority: 0 });
    const initial = await f.iq('get', undefined, xml('prefs', { xmlns: NS_MAM }));
    const p0 = initial.getChild('prefs', NS_MAM)!;
    expect(p0.attrs.default).toBe('always');
    expect(p0.getChild('always')).toBeDefined();
    expect(p0.getChild('never')).toBeDefined();

    const set = await f.iq(
      'set',
      undefined,
      xml(
        'prefs',
        { xmlns: NS_MAM, default: 'always' },
        xml('always'),
        xml('never', {}, xml('jid', {}, grace)),
      ),
    );
    expect(set.getChild('prefs', NS_MAM)!.getChild('never')!.getChildText('jid')).toBe(grace);
    const again = await f.iq('get', undefined, xml('prefs', { xmlns: NS_MAM }));
    expect(again.getChild('prefs', NS_MAM)!.getChild('never')!.getChildText('jid')).toBe(grace);

    await g.send(chat(frank, 'not archived for frank'));
    await h.send(chat(frank, 'archived for frank'));
    const fromGrace = await f.next(isMessage({ body: 'not archived for frank' }));
    const fromHeidi = await f.next(isMessage({ body: 'archived for frank' }));
    expect(stanzaId(fromGrace, frank)).toBeUndefined();
    expect(stanzaId(fromHeidi, frank)).toBeDefined();
    const archived = rows((await mamQuery(f)).results).map((r) => r.body);
    expect(archived).toEqual(['archived for frank']);
    // Grace's own archive still has what she sent.
    expect(rows((await mamQuery(g)).results).map((r) => r.body)).toEqual([
      'not archived for frank',
    ]);

    // default='roster': only contacts in the roster.
    await f.iq('set', undefined, xml('prefs', { xmlns: NS_MAM, default: 'roster' }));
    await h.send(chat(frank, 'heidi, not in the roster'));
    await f.next(isMessage({ body: 'heidi, not in the roster' }));
    await s.settle(f);
    expect(rows((await mamQuery(f)).results)).toHaveLength(1);
    await f.iq(
      'set',
      undefined,
      xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: heidi })),
    );
    await h.send(chat(frank, 'heidi, in the roster'));
    await f.next(isMessage({ body: 'heidi, in the roster' }));
    expect(rows((await mamQuery(f)).results).map((r) => r.body)).toEqual([
      'archived for frank',
      'heidi, in the roster',
    ]);

    const bad = await f.iq('set', undefined, xml('prefs', { xmlns: NS_MAM, default: 'sometimes' }));
    expect(errorCondition(bad)).toBe('bad-request');
  });

  it('removes the archive with the account', async () => {
    const [ivan, judy] = (await s.users('ivan', 'judy')) as [string, string];
    const i = await s.login(ivan, { priority: 0 });
    const j = await s.login(judy, { priority: 0 });
    await j.send(chat(ivan, 'soon gone'));
    await i.next(isMessage({ body: 'soon gone' }));
    const archive = s.t.server.stores.archive;
    expect(await archive.count(ivan, {})).toBe(1);
    // The server answers and closes the stream at once: the reply is not waited for.
    await i.send(
      xml(
        'iq',
        { type: 'set', id: nextId('rm') },
        xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')),
      ),
    );
    await vi.waitFor(async () => expect(await archive.count(ivan, {})).toBe(0), WAIT);
    expect(await archive.count(judy, {})).toBe(1);
  });
});
