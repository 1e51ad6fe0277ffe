export type {
  DurableHandler,
  DurableMessage,
  OrderedConsumer,
  Bus,
  BusHandler,
  BusMessage,
  BusPayload,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from './bus.js';
export { BusError } from './bus.js';
export { MemoryBus } from './memory-bus.js';
export { isValidSubject, subjectMatches } from './subject.js';
export { connectNatsBus, ConsumerConfigError, DurablePublishError, NatsBus } from './nats-bus.js';
export type {
  BusLogger,
  BusObserver,
  DirectFrame,
  DirectTap,
  DurableStreamOptions,
  NatsBusEvent,
  NatsBusOptions,
  NatsBusStatus,
  OrderedConsumerOptions,
} from './nats-bus.js';
export { natsConnectOptions } from './nats-auth.js';
export type { NatsAuthOptions } from './nats-auth.js';
