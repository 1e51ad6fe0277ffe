/**
 * reconnect-storm: every session enables XEP-0198 resumption; chat runs at
 * a fixed rate; the coordinator SIGKILLs one gateway; every session of that
 * gateway resumes (`<resume/>`) on the surviving gateways. Reports the time
 * from the kill until every session is back, and lost and duplicate
 * messages (each body carries sender and sequence number).
 */
import { kill } from 'node:process';
import type { Element } from '@parley/xml';
import type { LoadClient } from '../client.js';
import { errorText } from '../util.js';
import { closeAll, openLoopFor, readyIndexes } from './common.js';
import type { Scenario } from './types.js';
import { nowMs, num } from './types.js';

export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  description: 'SIGKILL one gateway; every session resumes (XEP-0198) on the others; no loss',
  needsCluster: true,
  config: {
    msgRate: { default: 200, help: 'chat messages/s during the storm, all workers together' },
    before: { default: 5, help: 'seconds of chat before the kill' },
    after: { default: 5, help: 'seconds of chat after every session is back' },
    drain: { default: 10, help: 'seconds to wait after sending' },
    kill: { default: 1, help: 'which gateway to SIGKILL (1-based)' },
    resumeTries: { default: 5, help: 'resumption attempts per session' },
    backTimeout: { default: 120, help: 'seconds to wait for every session to be back' },
  },
  async worker(ctx) {
    // Per sender: next sequence number; per receiver-side: seen (sender, seq) pairs.
    const seen = new Set<string>();
    let dups = 0;
    const onMessage = (el: Element): void => {
      if (el.attr('type') === 'error') {
        ctx.counters.errors++;
        return;
      }
      const body = el.getChildText('body');
      if (body === undefined) return;
      const [sender, seq, ts] = body.split(' ');
      const key = `${sender}:${seq}`;
      if (seen.has(key)) {
        dups++;
        return;
      }
      seen.add(key);
      ctx.counters.received++;
      ctx.latency(nowMs() - Number(ts));
    };
    let lost = 0;
    let back = 0;
    let lastBack = 0;
    let failedResumes = 0;
    let killedPort = -1;
    let killed = false;
    const clients: (LoadClient | undefined)[] = [];
    const survivors = () => ctx.target.ports.filter((p) => p !== killedPort);
    const resumeOne = async (k: number, old: LoadClient): Promise<void> => {
      const i = ctx.first + k;
      for (let attempt = 0; attempt < num(ctx.cfg, 'resumeTries') && !ctx.expired(); attempt++) {
        const ports = survivors();
        const port = ports[(i + attempt) % ports.length]!;
        try {
          const c = await ctx.connectOne(i, {
            port,
            onMessage,
            sm: true,
            resume: old.smState()!,
            onClose: (cl) => onLost(k, cl),
          });
          clients[k] = c;
          ctx.counters.resumed++;
          back++;
          lastBack = Date.now();
          return;
        } catch (err) {
          ctx.counters.resumeErrors++;
          ctx.error(`resume: ${errorText(err)}`);
          await ctx.sleep(200 * (attempt + 1));
        }
      }
      failedResumes++;
    };
    const onLost = (k: number, c: LoadClient): void => {
      if (!killed || ctx.expired()) return;
      lost++;
      void resumeOne(k, c);
    };
    const opened = await ctx.connectAll((i) => ({
      sm: true,
      onMessage,
      onClose: (c) => onLost(i - ctx.first, c),
    }));
    opened.forEach((c, k) => (clients[k] = c));
    await ctx.barrier('connected');
    const ready = readyIndexes(clients);
    const seqs = new Map<number, number>();
    let next = 0;
    const rate = num(ctx.cfg, 'msgRate') / ctx.workers;
    const total = ctx.totalSessions;
    const sendOne = (): void => {
      if (ready.length === 0) return;
      const k = ready[next]!;
      next = (next + 1) % ready.length;
      const c = clients[k];
      const i = ctx.first + k;
      // A session being resumed keeps its messages for later: count them when sent.
      if (!c || c.closed) return;
      const seq = (seqs.get(i) ?? 0) + 1;
      seqs.set(i, seq);
      c.sendMessage(ctx.jid((i + 1) % total), `${i} ${seq} ${nowMs()}`);
      ctx.counters.sent++;
    };
    // Chat, then the kill while chat goes on.
    let stopChat = false;
    const chatLoop = openLoopFor(ctx, rate, 3600, sendOne, () => stopChat);
    await ctx.sleep(num(ctx.cfg, 'before') * 1000);
    killed = true;
    const victim = (await ctx.barrier('kill')) as { port: number; at: number };
    killedPort = victim.port;
    const expectLost = opened.filter(
      (c, k) => c && ctx.portOf(ctx.first + k) === victim.port,
    ).length;
    // Wait for every session of the killed gateway to be back (bounded).
    const until = Date.now() + num(ctx.cfg, 'backTimeout') * 1000;
    while (!ctx.expired() && Date.now() < until && back + failedResumes < expectLost)
      await ctx.sleep(100);
    ctx.result['expectedToResume'] = expectLost;
    ctx.result['lostConnections'] = lost;
    ctx.result['resumed'] = back;
    ctx.result['failedResumes'] = failedResumes;
    ctx.result['lastBackAt'] = lastBack;
    ctx.result['killedAt'] = victim.at;
    await ctx.barrier('back');
    await ctx.sleep(num(ctx.cfg, 'after') * 1000);
    stopChat = true;
    await chatLoop;
    await ctx.barrier('sent');
    await ctx.sleep(num(ctx.cfg, 'drain') * 1000);
    await ctx.barrier('drained');
    ctx.result['duplicates'] = dups;
    ctx.result['unackedAtEnd'] = clients.reduce((s, c) => s + (c?.smUnacked.length ?? 0), 0);
    await closeAll(clients);
  },
  async onBarrier(name, ctx) {
    if (name !== 'kill') return undefined;
    const gateways = ctx.serverProcesses.filter((p) => p.name.startsWith('gateway'));
    const victim = gateways[Number(ctx.cfg['kill']) - 1];
    if (!victim || victim.port === undefined) throw new Error('no such gateway to kill');
    const at = Date.now();
    kill(victim.pid, 'SIGKILL');
    ctx.notes['killed'] = { name: victim.name, pid: victim.pid, port: victim.port, at };
    ctx.log(`reconnect-storm: SIGKILL ${victim.name} (pid ${victim.pid}, port ${victim.port})`);
    return { port: victim.port, at };
  },
  summarize(sum, run) {
    const killedAt = Math.min(...run.results.map((r) => Number(r['killedAt'])));
    const lastBack = Math.max(...run.results.map((r) => Number(r['lastBackAt'])));
    return {
      expectedToResume: sum['expectedToResume'] ?? 0,
      lostConnections: sum['lostConnections'] ?? 0,
      resumed: sum['resumed'] ?? 0,
      failedResumes: sum['failedResumes'] ?? 0,
      allBackSeconds: lastBack > 0 ? Math.round(lastBack - killedAt) / 1000 : null,
      sent: run.counters.sent,
      received: run.counters.received,
      lostMessages: run.counters.sent - run.counters.received,
      duplicates: sum['duplicates'] ?? 0,
      unackedAtEnd: sum['unackedAtEnd'] ?? 0,
    };
  },
};
