/**
 * XEP-0160: Best Practices for Handling Offline Messages. Storage and
 * delivery are part of the registry's delivery rules (RFC 6121 section 8,
 * `offline.maxPerUser`); this module advertises `msgoffline` in the
 * server's disco#info (XEP-0160 section 5) when offline storage is on.
 * Disabling it (`modules.disabled: ['msgoffline']`) only hides the feature;
 * `offline.maxPerUser: 0` turns storage off.
 */
import type { ServerModule } from '../types.js';

export const NS_MSGOFFLINE = 'msgoffline';

export const offlineFeatureModule: ServerModule = {
  name: 'msgoffline',
  configSections: ['offline'],
  xeps: [
    {
      xep: '0160',
      title: 'Best Practices for Handling Offline Messages',
      version: '1.0.1',
      note: 'storage with XEP-0203 delay stamps, delivery at the first positive-priority presence',
    },
  ],
  enabled: (config) => config.offline.maxPerUser > 0,
  register(ctx) {
    ctx.feature(NS_MSGOFFLINE);
  },
};
