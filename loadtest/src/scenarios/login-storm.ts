/** login-storm: N logins as fast as the ramp allows; reports logins/s and login latency. */
import { closeAll } from './common.js';
import type { Scenario } from './types.js';
import { num } from './types.js';

export const loginStorm: Scenario = {
  name: 'login-storm',
  description: 'N logins (TCP, stream, SASL, bind, presence) as fast as allowed; logins/s',
  config: {
    hold: { default: 0, help: 'seconds to hold the sessions after the last login' },
  },
  async worker(ctx) {
    const t0 = Date.now();
    const clients = await ctx.connectAll();
    const t1 = Date.now();
    ctx.result['firstStart'] = t0;
    ctx.result['lastLogin'] = t1;
    await ctx.barrier('connected');
    await ctx.sleep(num(ctx.cfg, 'hold') * 1000);
    await ctx.barrier('held');
    await closeAll(clients);
  },
  summarize(_sum, run) {
    const starts = run.results.map((r) => Number(r['firstStart']));
    const ends = run.results.map((r) => Number(r['lastLogin']));
    const seconds = (Math.max(...ends) - Math.min(...starts)) / 1000;
    return {
      logins: run.counters.logins,
      loginErrors: run.counters.loginErrors,
      loginSeconds: Math.round(seconds * 100) / 100,
      loginsPerSecond: seconds > 0 ? Math.round(run.counters.logins / seconds) : null,
    };
  },
};
