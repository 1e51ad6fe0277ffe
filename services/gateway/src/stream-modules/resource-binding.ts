import { NS_BIND, NS_SESSION } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { StreamModule } from './types.js';

/**
 * Resource binding (RFC 6120 section 7) and the optional RFC 3921 session,
 * offered after authentication. The bind IQ is handled in
 * src/client-elements.ts (negotiation/bind.ts).
 */
export const resourceBindingModule: StreamModule = {
  name: 'resource-binding',
  xeps: [],
  register(ctx) {
    ctx.feature('authenticated', xml('bind', { xmlns: NS_BIND }));
    ctx.feature('authenticated', xml('session', { xmlns: NS_SESSION }, xml('optional')));
  },
};
