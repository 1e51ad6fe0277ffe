import type { Client, ClientOptions } from 'cassandra-driver';

/** Consistency of reads and writes (the `types.consistencies` names of cassandra-driver). */
export type CassandraConsistency =
  'localQuorum' | 'quorum' | 'eachQuorum' | 'localOne' | 'one' | 'all';

/** Consistency of the Paxos phase of lightweight transactions. */
export type CassandraSerialConsistency = 'localSerial' | 'serial';

/** How to reach a cluster (used by the stores and by migrate). */
export interface CassandraConnectionOptions {
  /** `host` or `host:port` of one or more nodes (default port 9042). */
  contactPoints?: string[];
  /** Name of the datacenter this process is in; the driver only routes to it. */
  localDataCenter?: string;
  /** Keyspace holding Parley's tables ([a-z][a-z0-9_]{0,47}). */
  keyspace: string;
  username?: string;
  password?: string;
  /** Further cassandra-driver client options (TLS, pooling, timeouts), merged over Parley's. */
  clientOptions?: ClientOptions;
}

export interface CassandraStoreOptions extends CassandraConnectionOptions {
  /** Default `localQuorum`. */
  consistency?: CassandraConsistency;
  /** Default `localSerial`. */
  serialConsistency?: CassandraSerialConsistency;
  /**
   * An existing client to use instead of connecting one from the options
   * above. It is connected if needed and is not shut down by `close()`.
   * Every statement names its keyspace, so the client's own keyspace does
   * not matter.
   */
  client?: Client;
}

const KEYSPACE = /^[a-z][a-z0-9_]{0,47}$/;

/** Keyspace names are interpolated into CQL, so only plain lower-case identifiers are accepted. */
export function checkKeyspace(keyspace: unknown): asserts keyspace is string {
  if (typeof keyspace !== 'string' || !KEYSPACE.test(keyspace)) {
    throw new Error(
      `invalid Cassandra keyspace ${JSON.stringify(keyspace)}: use 1-48 characters of [a-z0-9_], starting with a letter`,
    );
  }
}

/** The cassandra-driver client options for a connection. */
export function clientOptionsFor(
  opts: CassandraConnectionOptions,
  withKeyspace: boolean,
): ClientOptions {
  if (!opts.contactPoints || opts.contactPoints.length === 0) {
    throw new Error('Cassandra: contactPoints must list at least one node');
  }
  if (!opts.localDataCenter) throw new Error('Cassandra: localDataCenter is required');
  checkKeyspace(opts.keyspace);
  return {
    contactPoints: opts.contactPoints,
    localDataCenter: opts.localDataCenter,
    ...(withKeyspace ? { keyspace: opts.keyspace } : {}),
    ...(opts.username !== undefined
      ? { credentials: { username: opts.username, password: opts.password ?? '' } }
      : {}),
    ...opts.clientOptions,
  };
}
