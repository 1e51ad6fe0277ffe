export { PubsubEngine } from './engine.js';
export type {
  InternalPublish,
  LoadedNode,
  PublishedEvent,
  PubsubHost,
  RetractedEvent,
  RosterRelation,
  ServiceProfile,
} from './engine.js';
export {
  ACCESS_MODELS,
  BASE_DEFAULTS,
  applyConfigForm,
  configForm,
  configFromStored,
  configToStored,
  effectiveMaxItems,
  unmetPrecondition,
} from './node-config.js';
export type {
  AccessModel,
  ConfigLimits,
  NodeConfig,
  NotificationType,
  PublishModel,
  SendLastPublishedItem,
} from './node-config.js';
export { errors, pubsubError, unsupported } from './errors.js';
export type { PubsubErrorCondition } from './errors.js';
export {
  configurationEvent,
  deleteEvent,
  itemElement,
  itemsEvent,
  notification,
  notificationId,
  payloadOf,
  purgeEvent,
  subscriptionEvent,
} from './events.js';
export { capsKey, capsOf, capsVer, notifyNodes, verificationString, verifyCaps } from './caps.js';
export type { Caps } from './caps.js';
export { PEP_FEATURES, SERVICE_FEATURES } from './features.js';
export * from './ns.js';
