#!/usr/bin/env node
/**
 * `pnpm cluster:start`: a local cluster of 2 gateways, 2 session-registry
 * workers and 2 MUC workers over a nats-server and a redis-server it starts itself (or the
 * ones in NATS_URL / REDIS_URL). Ctrl-C stops everything it started.
 */
import { startLocalCluster } from './local-cluster.js';

const cluster = await startLocalCluster({
  ...(process.env['NATS_URL'] ? { natsUrl: process.env['NATS_URL'] } : {}),
  ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
  basePort: Number(process.env['PARLEY_CLUSTER_BASE_PORT'] ?? 5222),
  mucs: 2,
  adminApis: 1,
  logLevel: 'warn',
});
const lines = [
  `NATS ${cluster.natsUrl}   Redis ${cluster.redisUrl}`,
  ...cluster.gateways.map(
    (g) =>
      `${g.name}: XMPP 127.0.0.1:${g.c2sPort}  metrics/health http://127.0.0.1:${g.httpPort}/metrics`,
  ),
  ...[...cluster.registries, ...cluster.mucs].map(
    (r) => `${r.name}: metrics/health http://127.0.0.1:${r.httpPort}/metrics`,
  ),
  `MUC service: conference.<domain> (e.g. conference.localhost)`,
  ...cluster.adminApis.map(
    (a) =>
      `${a.name}: REST http://127.0.0.1:${a.adminPort}/api (reference: /docs; tokens: PARLEY_ADMIN_TOKENS, see docs/admin-api.md)`,
  ),
  'Create a user: PARLEY_SERVER_DATA_DIR=./data-cluster pnpm xmppctl user add alice@localhost',
  'Press Ctrl-C to stop the cluster.',
];
console.log(lines.join('\n'));
// The launched processes are detached from the event loop; keep this one alive until stopped.
const keepAlive = setInterval(() => undefined, 1 << 30);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping the cluster...');
  clearInterval(keepAlive);
  cluster.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
