export { startServer, openStores } from './server.js';
export type { RunningServer } from './server.js';
export { accountJid, newAccount, importAccounts, importEntries } from './users.js';
export type { ImportSpec } from './users.js';
