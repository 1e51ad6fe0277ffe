import type { ServerModule } from '../types.js';

/**
 * Lists the XEP-0045 service (`<muc.subdomain>.<domain>`, run by the MUC
 * workers, see services/muc) in each domain's disco#items, so clients find
 * it. Its XEPs are declared by the MUC service's own modules. Not named
 * `muc-…`: that prefix is the MUC service's in `modules.disabled`.
 */
export const mucServiceModule: ServerModule = {
  name: 'conference-listing',
  configSections: ['muc'],
  xeps: [],
  enabled: (config) => config.muc.enabled,
  register(ctx) {
    for (const domain of ctx.config.server.domains)
      ctx.discoItem(`${ctx.config.muc.subdomain}.${domain}`, ctx.config.muc.name);
  },
};
