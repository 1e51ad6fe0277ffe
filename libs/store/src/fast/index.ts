export type { FastTokenRecord, FastTokenSlot, FastTokenStore } from './contract.js';
export { MemoryFastTokenStore } from './memory.js';
