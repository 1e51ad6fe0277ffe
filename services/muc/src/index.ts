export { startMucService } from './service.js';
export type { MucService, MucServiceOptions } from './service.js';
export type { MucDeps } from './muc-context.js';
export { LocalMucStateStore, RedisMucStateStore } from './state-store.js';
export type { HotRoom, MucStateStore, OccupantRecord, RoomMeta } from './state-store.js';
export { mucModules } from './modules/index.js';
export type {
  MucIqHandler,
  MucModule,
  MucModuleContext,
  RoomFeatures,
  RoomIqRequest,
  SelfIqRequest,
  ServiceIqRequest,
} from './modules/index.js';
