/**
 * chat: every session chats with its N neighbours (sessions i+1 .. i+N) at a
 * fixed total rate while all sessions are held; latency from the sender's
 * timestamp in the body (absolute clock, comparable across workers).
 */
import type { Element } from '@parley/xml';
import type { LoadClient } from '../client.js';
import { closeAll, openLoopFor, readyIndexes, tsOfBody } from './common.js';
import type { Scenario } from './types.js';
import { nowMs, num } from './types.js';

export const chat: Scenario = {
  name: 'chat',
  description: 'one-to-one chat with N neighbours at a fixed total rate while all are held',
  config: {
    neighbours: { default: 5, help: 'each session sends to sessions i+1 .. i+N (mod sessions)' },
    msgRate: { default: 1000, help: 'total chat messages/s, all workers together' },
    duration: { default: 30, help: 'seconds of sending' },
    drain: { default: 5, help: 'seconds to wait after sending for messages in flight' },
  },
  users: (common) => common.sessions,
  async worker(ctx) {
    const received = { n: 0 };
    const onMessage = (el: Element): void => {
      if (el.attr('type') === 'error') {
        ctx.counters.errors++;
        return;
      }
      const ts = tsOfBody(el.getChildText('body'));
      if (!Number.isFinite(ts)) return;
      ctx.counters.received++;
      received.n++;
      ctx.latency(nowMs() - ts);
    };
    const clients = await ctx.connectAll(() => ({ onMessage }));
    await ctx.barrier('connected');
    const ready = readyIndexes(clients);
    const neighbours = Math.max(1, num(ctx.cfg, 'neighbours'));
    const rate = num(ctx.cfg, 'msgRate') / ctx.workers;
    let next = 0;
    let round = 0;
    const total = ctx.totalSessions;
    if (ready.length > 0) {
      await openLoopFor(ctx, rate, num(ctx.cfg, 'duration'), () => {
        const k = ready[next]!;
        const c: LoadClient | undefined = clients[k];
        next++;
        if (next === ready.length) {
          next = 0;
          round++;
        }
        if (!c?.ready) {
          ctx.counters.errors++;
          return;
        }
        const i = ctx.first + k;
        const to = ctx.jid((i + 1 + (round % neighbours)) % total);
        c.sendMessage(to, `${i} ${nowMs()}`);
        ctx.counters.sent++;
      });
    }
    await ctx.barrier('sent');
    await ctx.sleep(num(ctx.cfg, 'drain') * 1000);
    await ctx.barrier('drained');
    ctx.result['received'] = received.n;
    await closeAll(clients);
  },
  summarize(_sum, run) {
    return {
      sent: run.counters.sent,
      received: run.counters.received,
      lost: run.counters.sent - run.counters.received,
      errors: run.counters.errors,
    };
  },
};
