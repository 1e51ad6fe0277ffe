/** login-storm: N logins as fast as the ramp allows; reports logins/s and login latency. */
import { closeAll } from './common.js';
import type { Scenario } from './types.js';
import { loginFigures, num } from './types.js';

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
    return loginFigures(run);
  },
};
