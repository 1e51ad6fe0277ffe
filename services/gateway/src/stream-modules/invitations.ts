import { NS_IBR_TOKEN, NS_PARS } from '@parley/stanza';
import { xml } from '@parley/xml';
import { handlePreauth } from '../invitations.js';
import { registrationAvailable } from '../negotiation/registration-policy.js';
import type { StreamModule } from './types.js';

/**
 * XEP-0445 Pre-Authenticated In-Band Registration: the stream feature and
 * the `<preauth/>` IQ that presents an invitation token (src/invitations.ts;
 * XEP-0401 invitations are made by the registry's ad-hoc command and the
 * admin API).
 */
export const invitationsModule: StreamModule = {
  name: 'invitations',
  configSections: ['registration'],
  xeps: [
    {
      xep: '0445',
      title: 'Pre-Authenticated In-Band Registration',
      version: '0.2.0',
      note: 'registration.invitations: the token of an invitation (XEP-0401) registers one account',
    },
  ],
  register(ctx) {
    ctx.feature('negotiating', (conn) =>
      registrationAvailable(conn) ? xml('register', { xmlns: NS_IBR_TOKEN }) : undefined,
    );
    ctx.preAuthIq(NS_PARS, handlePreauth);
  },
};
