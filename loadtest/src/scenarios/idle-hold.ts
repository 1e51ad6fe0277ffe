/** idle-hold: N sessions held for T seconds; server RSS (per gateway) and Redis memory per session. */
import { closeAll } from './common.js';
import type { Scenario } from './types.js';
import { loginFigures, num } from './types.js';

export const idleHold: Scenario = {
  name: 'idle-hold',
  description: 'N sessions logged in and held idle for --hold seconds; server memory per session',
  config: {
    hold: {
      default: 30,
      help: 'seconds to hold all sessions once every worker is done logging in',
    },
    sm: {
      default: 0,
      help: '1 = every session enables XEP-0198 resumption (resumable sessions held idle)',
    },
  },
  async worker(ctx) {
    const t0 = Date.now();
    const sm = num(ctx.cfg, 'sm') === 1;
    const clients = await ctx.connectAll(sm ? () => ({ sm: true }) : undefined);
    ctx.result['firstStart'] = t0;
    ctx.result['lastLogin'] = Date.now();
    await ctx.barrier('connected');
    await ctx.sleep(num(ctx.cfg, 'hold') * 1000);
    ctx.result['stillOpen'] = clients.filter((c) => c?.ready).length;
    await ctx.barrier('held');
    await closeAll(clients);
  },
  summarize(sum, run) {
    return {
      ...loginFigures(run),
      stillOpenAfterHold: sum['stillOpen'] ?? 0,
    };
  },
};
