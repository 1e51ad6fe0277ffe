import type { Connection } from '../connection.js';
import type { StreamModule } from './types.js';

const serverCaps = (conn: Connection) => conn.ctx.caps.feature(conn.domain);

/**
 * XEP-0115 Entity Capabilities of the server in the stream features
 * (section 6.3), in every negotiation state: the verification string of
 * the domain's disco#info, learned from the session registry
 * (negotiation/caps.ts).
 */
export const capsModule: StreamModule = {
  name: 'caps',
  xeps: [
    {
      xep: '0115',
      title: 'Entity Capabilities',
      version: '1.6.0',
      note: "the server's caps (sha-1) in the stream features, from its disco#info",
    },
  ],
  register(ctx) {
    ctx.feature('negotiating', serverCaps);
    ctx.feature('authenticated', serverCaps);
    ctx.feature('bound', serverCaps);
  },
};
