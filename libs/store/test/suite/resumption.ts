import { describe, expect, it } from 'vitest';
import { ACKED_DID_MAX, ACKED_DID_RETAIN_MS } from '../../src/resumption.js';
import type { NewResumption, OutboundEntry, ResumptionStore } from '../../src/resumption.js';
import { expectStoreError } from './fixtures.js';

export type CurrentResumptionStore = () => ResumptionStore;

const T = () => Date.now();
const MIN = 60_000;
let ids = 0;
const freshId = () => `sm${process.pid}x${Date.now().toString(36)}x${(++ids).toString(36)}`;

function init(extra: Partial<NewResumption> = {}): NewResumption {
  return {
    id: freshId(),
    jid: 'alice@example.org/phone',
    gw: 'gw1',
    conn: 'c1',
    expiresAt: T() + 5 * MIN,
    ...extra,
  };
}

const msg = (n: number) =>
  `<message to='alice@example.org/phone' id='m${n}'><body>é ${n} &amp; "q"</body></message>`;

export function resumptionTests(store: CurrentResumptionStore): void {
  describe('ResumptionStore', () => {
    it('creates a record with epoch 1, zero counters and an empty queue', async () => {
      const s = store();
      const rec = init();
      expect(await s.create(rec)).toBe(true);
      expect(await s.get(rec.id)).toStrictEqual({
        ...rec,
        epoch: 1,
        inboundH: 0,
        outboundSeq: 0,
        acked: 0,
        outbound: [],
      });
      expect(await s.create({ ...rec, jid: 'mallory@example.org/x' })).toBe(false);
      expect((await s.get(rec.id))?.jid).toBe(rec.jid);
    });

    it('returns undefined for unknown ids and rejects malformed ones', async () => {
      const s = store();
      expect(await s.get(freshId())).toBeUndefined();
      expect(
        await s.claim(freshId(), { epoch: 1, gw: 'g', conn: 'c', now: T(), expiresAt: T() + MIN }),
      ).toBeUndefined();
      expect(await s.delete(freshId())).toBeUndefined();
      expect(await s.reap(freshId(), T())).toBeUndefined();
      expect(await s.ack(freshId(), 1, 3)).toBe(false);
      await expectStoreError(s.get('no spaces/or slashes'), 'invalid-argument');
      await expectStoreError(s.get(''), 'invalid-argument');
    });

    it('appends outbound stanzas in order and acks drop everything up to h', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      expect(
        await s.appendOutbound(rec.id, 1, [
          [1, msg(1)],
          [2, msg(2)],
        ]),
      ).toBe(true);
      expect(await s.appendOutbound(rec.id, 1, [[3, msg(3)]])).toBe(true);
      expect(await s.appendOutbound(rec.id, 1, [])).toBe(true);
      let got = await s.get(rec.id);
      expect(got?.outbound).toStrictEqual([
        [1, msg(1)],
        [2, msg(2)],
        [3, msg(3)],
      ]);
      expect(got?.outboundSeq).toBe(3);
      expect(await s.ack(rec.id, 1, 2)).toBe(true);
      got = await s.get(rec.id);
      expect(got?.outbound).toStrictEqual([[3, msg(3)]]);
      expect(got?.acked).toBe(2);
      // An older ack never moves 'acked' back.
      expect(await s.ack(rec.id, 1, 1)).toBe(true);
      expect((await s.get(rec.id))?.acked).toBe(2);
      expect(await s.ack(rec.id, 1, 3)).toBe(true);
      got = await s.get(rec.id);
      expect(got?.outbound).toStrictEqual([]);
      expect(got?.outboundSeq).toBe(3);
      await expectStoreError(
        s.appendOutbound(rec.id, 1, [
          [5, 'a'],
          [4, 'b'],
        ]),
        'invalid-argument',
      );
      // A gap (an earlier append got lost) is refused and changes nothing.
      await expectStoreError(s.appendOutbound(rec.id, 1, [[5, 'a']]), 'invalid-argument');
      expect(await s.appendOutbound(rec.id, 1, [[4, 'd']])).toBe(true);
      expect((await s.get(rec.id))?.outboundSeq).toBe(4);
    });

    it('keeps identical stanzas with different sequence numbers apart', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      await s.appendOutbound(rec.id, 1, [
        [1, msg(1)],
        [2, msg(1)],
        [3, msg(1)],
      ]);
      expect((await s.get(rec.id))?.outbound).toStrictEqual([
        [1, msg(1)],
        [2, msg(1)],
        [3, msg(1)],
      ]);
    });

    it('keeps the delivery id of an entry that has one', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      expect(
        await s.appendOutbound(rec.id, 1, [
          [1, msg(1), 'AbC-_9'],
          [2, msg(2)],
          [3, msg(3), 'x'.repeat(64)],
        ]),
      ).toBe(true);
      expect((await s.get(rec.id))?.outbound).toStrictEqual([
        [1, msg(1), 'AbC-_9'],
        [2, msg(2)],
        [3, msg(3), 'x'.repeat(64)],
      ]);
      expect(await s.ack(rec.id, 1, 1)).toBe(true);
      expect((await s.get(rec.id))?.outbound).toStrictEqual([
        [2, msg(2)],
        [3, msg(3), 'x'.repeat(64)],
      ]);
      for (const bad of ['', 'has space', 'a:b', 'x'.repeat(65)])
        await expectStoreError(s.appendOutbound(rec.id, 1, [[4, msg(4), bad]]), 'invalid-argument');
      expect((await s.get(rec.id))?.outboundSeq).toBe(3);
    });

    it('keeps the delivery ids of acknowledged entries for a while, the most recent ones', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      const t0 = T();
      await s.appendOutbound(rec.id, 1, [
        [1, msg(1), 'd1'],
        [2, msg(2)],
        [3, msg(3), 'd3'],
        [4, msg(4), 'd4'],
      ]);
      expect((await s.get(rec.id))?.ackedDids).toBeUndefined();
      expect(await s.ack(rec.id, 1, 3, t0)).toBe(true);
      expect((await s.get(rec.id))?.ackedDids?.slice().sort()).toStrictEqual(['d1', 'd3']);
      // They are handed over with the record to the gateway that resumes it.
      const claimed = await s.claim(rec.id, {
        epoch: 1,
        gw: 'gw2',
        conn: 'c2',
        now: T(),
        expiresAt: T() + MIN,
      });
      expect(claimed?.ackedDids?.slice().sort()).toStrictEqual(['d1', 'd3']);
      // Past the retention they are forgotten at the next acknowledgement.
      expect(await s.ack(rec.id, 2, 4, t0 + ACKED_DID_RETAIN_MS)).toBe(true);
      expect((await s.get(rec.id))?.ackedDids).toStrictEqual(['d4']);
      // At most ACKED_DID_MAX are kept, the most recently acknowledged.
      const more = ACKED_DID_MAX + 5;
      await s.appendOutbound(
        rec.id,
        2,
        Array.from({ length: more }, (_, i): OutboundEntry => [5 + i, msg(5 + i), `m${i}`]),
      );
      for (let i = 0; i < more; i++)
        expect(await s.ack(rec.id, 2, 5 + i, t0 + ACKED_DID_RETAIN_MS + 1 + i)).toBe(true);
      const kept = (await s.get(rec.id))?.ackedDids;
      expect(kept).toHaveLength(ACKED_DID_MAX);
      expect(kept).toStrictEqual(Array.from({ length: ACKED_DID_MAX }, (_, i) => `m${i + 5}`));
      // A stale owner's acknowledgement records nothing.
      expect(await s.ack(rec.id, 1, more + 4)).toBe(false);
      expect((await s.delete(rec.id))?.ackedDids).toHaveLength(ACKED_DID_MAX);
    });

    it('records the inbound count', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      expect(await s.setInboundH(rec.id, 1, 7)).toBe(true);
      expect((await s.get(rec.id))?.inboundH).toBe(7);
    });

    it('claims atomically: the epoch moves, the owner changes, a stale epoch fails', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      await s.appendOutbound(rec.id, 1, [[1, msg(1)]]);
      await s.setInboundH(rec.id, 1, 4);
      await s.detach(rec.id, 1, T(), T() + MIN);
      const exp = T() + 2 * MIN;
      const claimed = await s.claim(rec.id, {
        epoch: 1,
        gw: 'gw2',
        conn: 'c9',
        now: T(),
        expiresAt: exp,
      });
      expect(claimed).toStrictEqual({
        ...rec,
        gw: 'gw2',
        conn: 'c9',
        epoch: 2,
        inboundH: 4,
        outboundSeq: 1,
        acked: 0,
        outbound: [[1, msg(1)]],
        expiresAt: exp,
      });
      expect(await s.get(rec.id)).toStrictEqual(claimed);
      // A second claimer that read epoch 1 loses.
      expect(
        await s.claim(rec.id, { epoch: 1, gw: 'gw3', conn: 'c3', now: T(), expiresAt: exp }),
      ).toBeUndefined();
      // The old owner's writes are refused and change nothing.
      expect(await s.appendOutbound(rec.id, 1, [[2, msg(2)]])).toBe(false);
      expect(await s.ack(rec.id, 1, 1)).toBe(false);
      expect(await s.setInboundH(rec.id, 1, 99)).toBe(false);
      expect(await s.touch(rec.id, 1, T() + 10 * MIN)).toBe(false);
      expect(await s.detach(rec.id, 1, T(), T() + 10 * MIN)).toBe(false);
      expect(await s.delete(rec.id, 1)).toBeUndefined();
      expect(await s.get(rec.id)).toStrictEqual(claimed);
      // The new owner can.
      expect(await s.appendOutbound(rec.id, 2, [[2, msg(2)]])).toBe(true);
      expect((await s.get(rec.id))?.outbound).toHaveLength(2);
    });

    it('concurrent claims with the same epoch: exactly one wins', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((conn) =>
          s.claim(rec.id, { epoch: 1, gw: 'gw', conn, now: T(), expiresAt: T() + MIN }),
        ),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('refuses to claim an expired record', async () => {
      const s = store();
      const rec = init({ expiresAt: T() - 1 });
      await s.create(rec);
      expect(
        await s.claim(rec.id, { epoch: 1, gw: 'g', conn: 'c', now: T(), expiresAt: T() + MIN }),
      ).toBeUndefined();
    });

    it('detach records when the connection was lost and the new deadline', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      const at = T();
      expect(await s.detach(rec.id, 1, at, at + MIN)).toBe(true);
      expect(await s.get(rec.id)).toMatchObject({ detachedAt: at, expiresAt: at + MIN });
      expect(await s.touch(rec.id, 1, at + 2 * MIN)).toBe(true);
      expect((await s.get(rec.id))?.expiresAt).toBe(at + 2 * MIN);
    });

    it('delete returns what was stored, honouring the epoch', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      await s.appendOutbound(rec.id, 1, [[1, msg(1)]]);
      expect(await s.delete(rec.id, 2)).toBeUndefined();
      const gone = await s.delete(rec.id, 1);
      expect(gone?.outbound).toStrictEqual([[1, msg(1)]]);
      expect(await s.get(rec.id)).toBeUndefined();
      expect(await s.delete(rec.id)).toBeUndefined();
      const other = init();
      await s.create(other);
      expect((await s.delete(other.id))?.id).toBe(other.id);
    });

    it('lists expired records soonest first and reaps each exactly once', async () => {
      const s = store();
      const now = T();
      const a = init({ expiresAt: now - 3000 });
      const b = init({ expiresAt: now - 1000 });
      const c = init({ expiresAt: now + MIN });
      for (const r of [b, a, c]) await s.create(r);
      await s.appendOutbound(a.id, 1, [[1, msg(1)]]);
      const expired = (await s.expired(now, 1000)).filter((id) => [a.id, b.id, c.id].includes(id));
      expect(expired).toEqual([a.id, b.id]);
      expect(await s.expired(now, 0)).toEqual([]);
      const reaps = await Promise.all([s.reap(a.id, now), s.reap(a.id, now), s.reap(a.id, now)]);
      const winners = reaps.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.outbound).toStrictEqual([[1, msg(1)]]);
      expect(await s.reap(c.id, now)).toBeUndefined();
      expect(await s.get(c.id)).toBeDefined();
      expect(await s.expired(now, 1000)).not.toContain(a.id);
    });

    it('a touched record is no longer expired', async () => {
      const s = store();
      const now = T();
      const rec = init({ expiresAt: now - 10 });
      await s.create(rec);
      expect(await s.expired(now, 1000)).toContain(rec.id);
      await s.touch(rec.id, 1, now + MIN);
      expect(await s.expired(now, 1000)).not.toContain(rec.id);
      expect(await s.reap(rec.id, now)).toBeUndefined();
      expect(await s.get(rec.id)).toBeDefined();
    });

    it('returns copies', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      await s.appendOutbound(rec.id, 1, [[1, msg(1)]]);
      const got = (await s.get(rec.id))!;
      got.outbound[0]![1] = 'changed';
      got.outbound.push([9, 'x']);
      got.jid = 'x';
      expect((await s.get(rec.id))?.outbound).toStrictEqual([[1, msg(1)]]);
      expect((await s.get(rec.id))?.jid).toBe(rec.jid);
    });

    it('holds large queues', async () => {
      const s = store();
      const rec = init();
      await s.create(rec);
      const big = `<message><body>${'x'.repeat(64 * 1024)}</body></message>`;
      const entries: [number, string][] = [];
      for (let i = 1; i <= 500; i++) entries.push([i, i % 50 === 0 ? big : msg(i)]);
      await Promise.all(entries.map((e) => s.appendOutbound(rec.id, 1, [e])));
      const got = await s.get(rec.id);
      expect(got?.outbound).toStrictEqual(entries);
      expect(got?.outboundSeq).toBe(500);
    });
  });
}
