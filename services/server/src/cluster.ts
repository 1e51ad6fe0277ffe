#!/usr/bin/env node
/**
 * `pnpm cluster:start [--store lmdb|postgres]`: a local cluster of 2
 * gateways, 2 session-registry workers and 2 MUC workers over a nats-server
 * and a redis-server it starts itself (or the ones in NATS_URL / REDIS_URL),
 * sharing LMDB in ./data-cluster or a PostgreSQL database (the one in
 * PARLEY_STORE_POSTGRES_URL, else a throw-away server started here). With
 * PARLEY_S2S_ENABLED=true or PARLEY_COMPONENTS_LIST set, also 2 S2S workers
 * (federation, external components).
 * Ctrl-C stops everything it started.
 */
import { parseArgs } from 'node:util';
import { startLocalCluster } from './local-cluster.js';

const { values } = parseArgs({
  options: { store: { type: 'string', default: 'lmdb' } },
});
if (values.store !== 'lmdb' && values.store !== 'postgres') {
  console.error(`--store: expected lmdb or postgres, got ${values.store}`);
  process.exit(2);
}
const postgresUrl = process.env['PARLEY_STORE_POSTGRES_URL'];
const cluster = await startLocalCluster({
  ...(process.env['NATS_URL'] ? { natsUrl: process.env['NATS_URL'] } : {}),
  ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
  store: values.store,
  ...(postgresUrl ? { postgresUrl } : {}),
  basePort: Number(process.env['PARLEY_CLUSTER_BASE_PORT'] ?? 5222),
  mucs: 2,
  adminApis: 1,
  s2ss:
    /^(true|1|yes|on)$/i.test(process.env['PARLEY_S2S_ENABLED'] ?? '') ||
    process.env['PARLEY_COMPONENTS_LIST'] !== undefined
      ? 2
      : 0,
  logLevel: 'warn',
});
const lines = [
  `NATS ${cluster.natsUrl}   Redis ${cluster.redisUrl}`,
  ...(cluster.postgresUrl !== undefined
    ? [
        `PostgreSQL ${cluster.postgresUrl}${cluster.postgres ? ' (throw-away: removed when the cluster stops)' : ''}`,
      ]
    : []),
  ...cluster.gateways.map(
    (g) =>
      `${g.name}: XMPP 127.0.0.1:${g.c2sPort}  metrics/health http://127.0.0.1:${g.httpPort}/metrics`,
  ),
  ...[...cluster.registries, ...cluster.mucs].map(
    (r) => `${r.name}: metrics/health http://127.0.0.1:${r.httpPort}/metrics`,
  ),
  ...cluster.s2ss.map(
    (w) =>
      `${w.name}: s2s 127.0.0.1:${w.s2sPort}${w.componentPort ? `  components 127.0.0.1:${w.componentPort}` : ''}  metrics/health http://127.0.0.1:${w.httpPort}/metrics`,
  ),
  `MUC service: conference.<domain> (e.g. conference.localhost)`,
  ...cluster.adminApis.map(
    (a) =>
      `${a.name}: REST http://127.0.0.1:${a.adminPort}/api (reference: /docs; tokens: PARLEY_ADMIN_TOKENS, see docs/admin-api.md)`,
  ),
  cluster.postgresUrl !== undefined
    ? `Create a user: PARLEY_STORE_KIND=postgres PARLEY_STORE_POSTGRES_URL=${cluster.postgresUrl} pnpm xmppctl user add alice@localhost`
    : 'Create a user: PARLEY_SERVER_DATA_DIR=./data-cluster pnpm xmppctl user add alice@localhost',
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
