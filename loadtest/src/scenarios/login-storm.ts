/**
 * login-storm: N logins as fast as the ramp allows; reports logins/s and
 * login latency. With `--rounds R` every session logs out and all log in
 * again, R times in all (a reconnect storm of returning users: the workers
 * have their SCRAM keys cached, and with --tls-resume their TLS sessions),
 * with the figures of each round.
 */
import { closeAll } from './common.js';
import type { RunFacts, Scenario } from './types.js';
import { loginFigures, num } from './types.js';

export const loginStorm: Scenario = {
  name: 'login-storm',
  description: 'N logins (TCP, stream, SASL, bind, presence) as fast as allowed; logins/s',
  config: {
    hold: { default: 0, help: 'seconds to hold the sessions after the last login' },
    rounds: {
      default: 1,
      help: 'login rounds: every session logs out and in again; figures per round',
    },
  },
  async worker(ctx) {
    const rounds = Math.max(1, Math.floor(num(ctx.cfg, 'rounds')));
    for (let r = 1; r <= rounds; r++) {
      if (r > 1) await ctx.barrier(`round-${r}`);
      const logins0 = ctx.counters.logins;
      const resumed0 = ctx.counters.tlsResumed;
      const t0 = Date.now();
      const clients = await ctx.connectAll();
      const t1 = Date.now();
      if (r === 1) {
        ctx.result['firstStart'] = t0;
        ctx.result['lastLogin'] = t1;
      }
      ctx.result[`round${r}Start`] = t0;
      ctx.result[`round${r}End`] = t1;
      ctx.result[`round${r}Logins`] = ctx.counters.logins - logins0;
      ctx.result[`round${r}TlsResumed`] = ctx.counters.tlsResumed - resumed0;
      if (r < rounds) {
        await closeAll(clients);
        // Closed by us, not lost: onClose does not count them.
        ctx.counters.connected -= clients.filter((c) => c !== undefined).length;
        continue;
      }
      await ctx.barrier('connected');
      await ctx.sleep(num(ctx.cfg, 'hold') * 1000);
      await ctx.barrier('held');
      await closeAll(clients);
    }
  },
  summarize(_sum, run) {
    return { ...loginFigures(run), rounds: roundFigures(run) };
  },
};

/** Logins/s of each round, from the first worker's start to the last worker's end. */
export function roundFigures(run: RunFacts): Record<string, number | null>[] {
  const rounds = Math.max(1, Math.floor(num(run.cfg, 'rounds')));
  const out: Record<string, number | null>[] = [];
  for (let r = 1; r <= rounds; r++) {
    const field = (name: string) => run.results.map((x) => Number(x[`round${r}${name}`]));
    const starts = field('Start').filter(Number.isFinite);
    const ends = field('End').filter(Number.isFinite);
    const logins = field('Logins').reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const resumed = field('TlsResumed').reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const seconds =
      starts.length > 0 && ends.length > 0 ? (Math.max(...ends) - Math.min(...starts)) / 1000 : 0;
    out.push({
      round: r,
      logins,
      tlsResumed: resumed,
      seconds: Math.round(seconds * 100) / 100,
      loginsPerSecond: seconds > 0 ? Math.round(logins / seconds) : null,
    });
  }
  return out;
}
