import { NS_PRE_APPROVAL, NS_ROSTERVER } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { StreamModule } from './types.js';

/**
 * Stream features of the session registry's roster (RFC 6121): roster
 * versioning (XEP-0237) and subscription pre-approval (section 3.4). The
 * gateway advertises them; the registry implements them.
 */
export const rosterFeaturesModule: StreamModule = {
  name: 'roster-features',
  xeps: [],
  register(ctx) {
    ctx.feature('authenticated', xml('ver', { xmlns: NS_ROSTERVER }));
    ctx.feature('bound', xml('ver', { xmlns: NS_ROSTERVER }));
    ctx.feature('authenticated', xml('sub', { xmlns: NS_PRE_APPROVAL }));
    ctx.feature('bound', xml('sub', { xmlns: NS_PRE_APPROVAL }));
  },
};
