/**
 * External components (XEP-0114, `jabber:component:accept`): the listener
 * (component-server.ts) and its glue with the bus (component-routing.ts).
 * See docs/components.md.
 */
export {
  ComponentServer,
  DEFAULT_COMPONENT_MAX_STANZA_BYTES,
  HANDSHAKE_TIMEOUT_MS,
} from './component-server.js';
export type { ComponentServerOptions } from './component-server.js';
export {
  COMPONENT_QUEUE,
  COMPONENT_REQUEST_TIMEOUT_MS,
  startComponents,
} from './component-routing.js';
export type { Components, ComponentsDeps } from './component-routing.js';
export {
  NS_COMPONENT_ACCEPT,
  handshakeDigest,
  handshakeMatches,
  toComponentNamespace,
} from './protocol.js';
