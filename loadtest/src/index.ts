export { LoadClient, LoadClientError, escapeXml } from './client.js';
export type { LoadClientOptions, LoadMechanism } from './client.js';
export { runIdle, openClients, closeClients, formatIdle } from './bench-idle.js';
export type { IdleOptions, IdleResult, TargetOptions } from './bench-idle.js';
export {
  ChatSession,
  connectPairs,
  runStep,
  runChat,
  findMax,
  stepVerdict,
  formatChatSteps,
  formatFindMax,
} from './bench-chat.js';
export type { ChatOptions, ChatStep, FindMaxResult } from './bench-chat.js';
export { spawnServer, freePort, repoRoot } from './spawn.js';
export type { SpawnOptions, SpawnedServer } from './spawn.js';
export { readRssKiB, readCpuSeconds, percentiles, Samples } from './util.js';
export {
  MucSession,
  joinRoom,
  runMucStep,
  runMuc,
  formatMuc,
  defaultRoom,
  parseMucBody,
  markSeen,
  statusCodes,
} from './bench-muc.js';
export type { MucOptions, MucStep, MucResult } from './bench-muc.js';
export {
  prefillArchive,
  prefillMessage,
  prefillBody,
  mamQuerySpecs,
  mamQueryIq,
  checkMamAnswer,
  runMam,
  formatMam,
  MAM_QUERY_KINDS,
} from './bench-mam.js';
export type {
  MamOptions,
  MamResult,
  MamRun,
  MamQueryKind,
  MamQuerySpec,
  PrefilledArchive,
} from './bench-mam.js';
