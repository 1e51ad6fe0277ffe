export type { Invitation, InvitationStore } from './contract.js';
export { MemoryInvitationStore } from './memory.js';
