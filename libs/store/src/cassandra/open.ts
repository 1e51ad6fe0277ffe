import { Client } from 'cassandra-driver';
import type { Stores } from '../contracts.js';
import { StoreError } from '../errors.js';
import { CassandraAccountStore } from './account-store.js';
import { CassandraArchiveStore } from './archive-store.js';
import { CassandraBlocklistStore } from './blocklist-store.js';
import { CassandraLastActivityStore } from './last-activity-store.js';
import { CassandraOfflineStore } from './offline-store.js';
import { checkKeyspace, clientOptionsFor, type CassandraStoreOptions } from './options.js';
import { CassandraPrivateStore } from './private-store.js';
import { CassandraPushDeviceStore, CassandraPushRegistrationStore } from './push-store.js';
import { CassandraFastTokenStore } from '../fast/cassandra.js';
import { CassandraInvitationStore } from '../invitations/cassandra.js';
import { CassandraPubsubStore } from './pubsub-store.js';
import { CassandraRoomStore } from './room-store.js';
import { CassandraRosterStore } from './roster-store.js';
import { CqlSession } from './session.js';
import { CassandraVcardStore } from './vcard-store.js';

/** Every store over one session (the tables of its keyspace). */
export function cassandraStoresOn(session: CqlSession) {
  return {
    accounts: new CassandraAccountStore(session),
    rosters: new CassandraRosterStore(session),
    offline: new CassandraOfflineStore(session),
    lastActivity: new CassandraLastActivityStore(session),
    blocklists: new CassandraBlocklistStore(session),
    archive: new CassandraArchiveStore(session),
    rooms: new CassandraRoomStore(session),
    pubsub: new CassandraPubsubStore(session),
    vcards: new CassandraVcardStore(session),
    privateXml: new CassandraPrivateStore(session),
    pushRegistrations: new CassandraPushRegistrationStore(session),
    pushDevices: new CassandraPushDeviceStore(session),
    fastTokens: new CassandraFastTokenStore(session),
    invitations: new CassandraInvitationStore(session),
  } satisfies Omit<Stores, 'close'>;
}

/**
 * Connects to a Cassandra cluster (or uses `options.client`) and returns
 * every store backed by the keyspace `options.keyspace`, whose schema must
 * have been created with `migrateCassandra` (`xmppctl cassandra migrate`).
 * Reads and writes use LOCAL_QUORUM and lightweight transactions
 * LOCAL_SERIAL unless configured otherwise. `close()` shuts the client down
 * if this function created it.
 */
export async function openCassandraStores(options: CassandraStoreOptions): Promise<Stores> {
  let client: Client;
  let owned: boolean;
  try {
    checkKeyspace(options.keyspace);
    if (options.client) {
      client = options.client;
      owned = false;
    } else {
      client = new Client(clientOptionsFor(options, false));
      owned = true;
    }
  } catch (err) {
    throw new StoreError('invalid-argument', err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
  try {
    await client.connect();
  } catch (err) {
    if (owned) await client.shutdown().catch(() => undefined);
    throw new StoreError('backend', `cannot connect to Cassandra: ${String(err)}`, { cause: err });
  }
  const session = new CqlSession(
    client,
    options.keyspace,
    options.consistency ?? 'localQuorum',
    options.serialConsistency ?? 'localSerial',
    owned,
  );
  return { ...cassandraStoresOn(session), close: () => session.close() };
}
