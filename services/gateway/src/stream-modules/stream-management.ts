import { NS_SM } from '@parley/stanza';
import { xml } from '@parley/xml';
import { handleSmBeforeBind, handleSmBound } from '../sm/protocol.js';
import type { StreamModule } from './types.js';

/**
 * XEP-0198 Stream Management: acks while bound, and enabling or resuming
 * a session after authentication (resumption in place of binding). The
 * session state is in src/sm.
 */
export const streamManagementModule: StreamModule = {
  name: 'stream-management',
  configSections: ['sm'],
  xeps: [
    {
      xep: '0198',
      title: 'Stream Management',
      version: '1.6.1',
      note: 'acks and resumption on any gateway, from the shared resumption store',
    },
  ],
  enabled: (config) => config.sm.enabled,
  register(ctx) {
    ctx.feature('authenticated', xml('sm', { xmlns: NS_SM }));
    // After a SASL2 success that enabled or resumed a session, the feature is not offered again.
    const sm = xml('sm', { xmlns: NS_SM });
    ctx.feature('bound', (conn) => (conn.sm === undefined ? sm : undefined));
    ctx.nonza('authenticated', NS_SM, handleSmBeforeBind);
    ctx.nonza('bound', NS_SM, handleSmBound);
  },
};
