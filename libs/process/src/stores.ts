import { cassandraConnection, postgresConnection, type Config } from '@parley/config';
import { openStores } from '@parley/store';
import type { Stores } from '@parley/store';

export type StoreOpenOptions = Parameters<typeof openStores>[0];

/**
 * The store options of a process's configuration, with the secret and PEM
 * files of its backend read (a bad file throws ConfigError naming the key,
 * before anything connects).
 */
export function storeOptionsFor(config: Config): StoreOpenOptions {
  const { kind } = config.store;
  const options: StoreOpenOptions = { kind, dataDir: config.server.dataDir };
  if (kind === 'postgres') options.postgres = postgresConnection(config);
  if (kind === 'cassandra') options.cassandra = cassandraConnection(config);
  return options;
}

/** Opens the durable stores `config.store` names. */
export function openConfiguredStores(config: Config): Promise<Stores> {
  return openStores(storeOptionsFor(config));
}
