import type { AdminDeps } from './deps.js';
import type { MucClient } from './muc-client.js';
import type { RegistryClient } from './registry-client.js';
import type { StanzaRouter } from './stanza-router.js';

/** What every route file gets: the process's dependencies and the API's bus clients. */
export interface ApiContext extends AdminDeps {
  registry: RegistryClient;
  router: StanzaRouter;
  muc: MucClient;
  startedAt: number;
}
