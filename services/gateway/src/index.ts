/**
 * @parley/gateway: the client-to-server connection gateway (RFC 6120 streams
 * over TCP with STARTTLS, XEP-0368 direct TLS, and RFC 7395 WebSocket).
 * Stateless: sessions live in the session registry, reached only through the
 * bus.
 */
export { startGateway } from './gateway.js';
export type { Gateway, GatewayDeps, GatewayPorts } from './gateway.js';
export { ALPN_XMPP_CLIENT } from './listeners.js';
export { NS_SASL_CB } from './negotiation/features.js';
export { builtinStreamModules, startStreamModules } from './stream-modules/index.js';
export type {
  StreamExtensions,
  StreamModule,
  StreamModuleContext,
} from './stream-modules/index.js';
