/**
 * presence-storm: every user has C contacts (users i±1 .. i±C/2, mutual
 * 'both' subscriptions written into the LMDB store before the server
 * starts); once all are online, every session changes its presence (away
 * with a timestamp in <status/>) at a fixed total rate; every contact
 * records the latency of each broadcast.
 */
import { join } from 'node:path';
import type { Element } from '@parley/xml';
import { openLmdbStores } from '@parley/store';
import { fromPattern } from '../util.js';
import { closeAll, openLoopFor, readyIndexes, tsOfBody } from './common.js';
import type { Scenario } from './types.js';
import { nowMs, num } from './types.js';

/** The contacts of session i (0-based) among n: i±1 .. i±half, mod n, without i. */
export function contactsOf(i: number, n: number, contacts: number): number[] {
  const half = Math.floor(contacts / 2);
  const out = new Set<number>();
  for (let d = 1; d <= half; d++) {
    out.add((i + d) % n);
    out.add((i - d + n * d) % n);
  }
  out.delete(i);
  return [...out];
}

export const presenceStorm: Scenario = {
  name: 'presence-storm',
  description: 'everyone changes presence once all are online; broadcast to C roster contacts',
  config: {
    contacts: { default: 10, help: 'roster contacts per user (even; both-way subscriptions)' },
    presenceRate: { default: 1000, help: 'presence changes/s, all workers together' },
    rounds: { default: 1, help: 'presence changes per session' },
    settle: { default: 3, help: 'seconds to wait after all logged in (initial broadcasts)' },
    drain: { default: 5, help: 'seconds to wait after sending' },
  },
  async prepare(dataDir, common, cfg, log) {
    const n = common.sessions;
    const c = num(cfg, 'contacts');
    const t0 = performance.now();
    const stores = await openLmdbStores(join(dataDir, 'db'));
    try {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const owner = fromPattern(common.userPattern, i + 1);
        for (const j of contactsOf(i, n, c)) {
          batch.push(
            stores.rosters.setItem(owner, {
              jid: fromPattern(common.userPattern, j + 1),
              subscription: 'both',
              groups: [],
              listed: true,
            }),
          );
        }
        if (batch.length >= 2000) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
    } finally {
      await stores.close();
    }
    log(
      `presence-storm: wrote ${n} rosters of ${c} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  },
  async worker(ctx) {
    let received = 0;
    const clients = await ctx.connectAll((i) => ({
      onStanza: (el: Element) => {
        if (el.name !== 'presence') return;
        if (el.attr('type') === 'error') {
          ctx.counters.errors++;
          return;
        }
        const from = el.attr('from') ?? '';
        if (from.startsWith(`${ctx.jid(i)}/`)) return;
        const ts = tsOfBody(el.getChildText('status'));
        if (!Number.isFinite(ts)) return;
        received++;
        ctx.counters.received++;
        ctx.latency(nowMs() - ts);
      },
    }));
    await ctx.barrier('connected');
    await ctx.sleep(num(ctx.cfg, 'settle') * 1000);
    const ready = readyIndexes(clients);
    const rounds = Math.max(1, num(ctx.cfg, 'rounds'));
    const rate = num(ctx.cfg, 'presenceRate') / ctx.workers;
    let next = 0;
    let done = 0;
    const total = ready.length * rounds;
    if (ready.length > 0) {
      await openLoopFor(
        ctx,
        rate,
        total / rate + 1,
        () => {
          if (done >= total) return;
          const c = clients[ready[next]!];
          next = (next + 1) % ready.length;
          done++;
          if (!c?.ready) {
            ctx.counters.errors++;
            return;
          }
          c.sendStanza(`<presence><show>away</show><status>${nowMs()}</status></presence>`);
          ctx.counters.sent++;
        },
        () => done >= total,
      );
    }
    await ctx.barrier('sent');
    await ctx.sleep(num(ctx.cfg, 'drain') * 1000);
    await ctx.barrier('drained');
    ctx.result['received'] = received;
    await closeAll(clients);
  },
  summarize(_sum, run) {
    const c = Number(run.cfg['contacts']);
    const contacts = Math.min(c - (c % 2), run.common.sessions - 1);
    const expected = run.counters.sent * contacts;
    return {
      presencesSent: run.counters.sent,
      broadcastsReceived: run.counters.received,
      expectedBroadcasts: expected,
      lost: expected - run.counters.received,
      errors: run.counters.errors,
    };
  },
};
