import { NS_REGISTER, NS_REGISTER_FEATURE } from '@parley/stanza';
import { xml } from '@parley/xml';
import { registrationAvailable } from '../negotiation/registration-policy.js';
import { handleRegistration } from '../registration.js';
import type { StreamModule } from './types.js';

/**
 * XEP-0077 In-Band Registration before authentication: the stream feature
 * and account creation (src/registration.ts also handles the IQs of an
 * authenticated user: password change and cancellation).
 */
export const registrationModule: StreamModule = {
  name: 'registration',
  configSections: ['registration'],
  xeps: [
    {
      xep: '0077',
      title: 'In-Band Registration',
      version: '2.4',
      note: 'stream feature and account creation before authentication',
    },
  ],
  // Always on: with registration disabled the feature is not offered, and a
  // registration IQ is still answered (service-unavailable) rather than ending the stream.
  register(ctx) {
    ctx.feature('negotiating', (conn) =>
      registrationAvailable(conn) ? xml('register', { xmlns: NS_REGISTER_FEATURE }) : undefined,
    );
    ctx.preAuthIq(NS_REGISTER, handleRegistration);
  },
};
