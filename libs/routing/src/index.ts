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
  GatewayMessage,
} from './envelope.js';
export {
  ROUTE_PREFIX,
  GATEWAY_PREFIX,
  fnv1a32,
  partitionOf,
  encodeJidToken,
  decodeJidToken,
  routeSubject,
  partitionPattern,
  gatewaySubject,
} from './subjects.js';
