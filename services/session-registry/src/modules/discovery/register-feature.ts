import { NS_REGISTER } from '@parley/stanza';
import type { ServerModule } from '../types.js';

/**
 * XEP-0077: In-Band Registration. The exchange itself runs in the gateway
 * (it must work before authentication); this module only advertises it in
 * disco when registration is enabled.
 */
export const registerFeatureModule: ServerModule = {
  name: 'register',
  configSections: ['registration'],
  xeps: [
    {
      xep: '0077',
      title: 'In-Band Registration',
      version: '2.4',
      note: 'account creation, password change, cancellation',
    },
  ],
  enabled: (config) => config.registration.enabled,
  register(ctx) {
    ctx.feature(NS_REGISTER);
  },
};
