export type {
  Envelope,
  Stage,
  StanzaKind,
  RegistryMessage,
  BindRequest,
  BindReply,
  UnbindRequest,
  BounceRequest,
  GatewayDown,
  AccountRemoved,
  SessionResumable,
  SessionDetached,
  SessionSync,
  SyncedSession,
  GatewayMessage,
  Fence,
  FenceDone,
  ServerInfoReply,
  ServerInfoRequest,
} from './envelope.js';
export { SESSION_SYNC_BATCH } from './envelope.js';
export { bounceOf, envelopeOf } from './envelopes.js';
export type { Undelivered } from './envelopes.js';
export {
  ROUTE_PREFIX,
  GATEWAY_PREFIX,
  partitionOf,
  encodeJidToken,
  decodeJidToken,
  routeSubject,
  partitionPattern,
  syncSubject,
  gatewaySubject,
  gatewayConsumerName,
  DURABLE_SUBJECTS,
  orderingScopeOf,
} from './subjects.js';
export {
  MUC_PREFIX,
  mucSubject,
  mucPartitionPattern,
  mucConsumerName,
  mucServiceDomains,
} from './muc.js';
export type { MucMessage } from './muc.js';
export {
  inboundRoutes,
  inboundSubject,
  isS2sDomain,
  publishInbound,
  UnreachableDomainError,
} from './inbound.js';
export type { InboundRoutes } from './inbound.js';
export {
  COMPONENT_PREFIX,
  S2S_PREFIX,
  componentSubject,
  s2sConsumerName,
  s2sPartitionPattern,
  s2sSubject,
} from './federation.js';
export type { S2sMessage } from './federation.js';
export {
  ADMIN_PREFIX,
  ADMIN_REGISTRY_SUBJECT,
  adminRelayInstance,
  adminRelayResource,
  adminRelaySubject,
  adminReplySubject,
  isAdminRequest,
} from './admin.js';
export type {
  AdminQuery,
  AdminQueryAnswer,
  AdminReply,
  AdminRequest,
  AdminSessionInfo,
} from './admin.js';
export {
  BUS_PROTOCOL_VERSION,
  BUS_PROTOCOL_MIN_VERSION,
  BUS_PROTOCOL_MAX_VERSION,
  UNVERSIONED,
  decodeBusMessage,
  stamp,
  versioned,
  versionOf,
  versionedBus,
} from './protocol.js';
export type { Decoded, RejectReason } from './protocol.js';
export {
  ADMIN_QUERIES,
  ADMIN_RELAY,
  GATEWAY_MESSAGES,
  MUC_MESSAGES,
  S2S_MESSAGES,
  COMPONENT_MESSAGES,
  REGISTRY_MESSAGES,
  envelopeSchema,
} from './catalogue.js';
export type { MessageFamily } from './catalogue.js';
export {
  BusProtocol,
  REJECTED_METRIC,
  rejectCondition,
  undeliveredStanza,
} from './bus-protocol.js';
export type { BusProtocolOptions, ProtocolLogger, ProtocolMetrics } from './bus-protocol.js';
export { BOSH_MESSAGES, BOSH_PREFIX, boshSubject } from './bosh.js';
export type { BoshForward, BoshForwardReply } from './bosh.js';
export { NATS_SERVICE_PERMISSIONS } from './permissions.js';
export type { ServiceName, ServicePermissions } from './permissions.js';
