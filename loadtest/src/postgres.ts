/**
 * `--store postgres`: a throw-away PostgreSQL server (the test kit's
 * launcher: initdb into a temporary directory, fsync off) with Parley's
 * schema, for the spawned server or cluster.
 */
import { migratePostgres } from '@parley/store';
import { startPostgresServer } from '@parley/testkit';
import type { PostgresServer } from '@parley/testkit';

export async function startBenchPostgres(log: (line: string) => void): Promise<PostgresServer> {
  const t0 = performance.now();
  const server = await startPostgresServer({
    // The server pool of every Parley process plus the importer.
    settings: { max_connections: '400', shared_buffers: '256MB' },
  });
  try {
    await migratePostgres({ url: server.url });
  } catch (err) {
    await server.stop();
    throw err;
  }
  log(
    `postgres: ${server.url} (pid ${server.pid}) up and migrated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return server;
}
