import pg from 'pg';
import type { Stores } from '../contracts.js';
import { StoreError } from '../errors.js';
import { PostgresAccountStore } from './account-store.js';
import { PostgresArchiveStore } from './archive-store.js';
import { PostgresBlocklistStore } from './blocklist-store.js';
import { PostgresLastActivityStore } from './last-activity-store.js';
import { PostgresOfflineStore } from './offline-store.js';
import { poolConfigFor, schemaOf, type PostgresStoreOptions } from './options.js';
import { PostgresPrivateStore } from './private-store.js';
import { PostgresPushDeviceStore, PostgresPushRegistrationStore } from './push-store.js';
import { PostgresFastTokenStore } from '../fast/postgres.js';
import { PostgresInvitationStore } from '../invitations/postgres.js';
import { PostgresPubsubStore } from './pubsub-store.js';
import { PostgresRoomStore } from './room-store.js';
import { PostgresRosterStore } from './roster-store.js';
import { PgSession } from './session.js';
import { PostgresVcardStore } from './vcard-store.js';

/** Schema version this code reads and writes (the newest file in deploy/postgres). */
export const POSTGRES_SCHEMA_VERSION = 4;

/**
 * Opens every store on a PostgreSQL database whose schema (`options.schema`,
 * default `parley`) was brought up to date with `migratePostgres`
 * (`xmppctl postgres migrate`). It checks the connection and the schema
 * version once, so a missing migration fails at start with a clear error
 * rather than on the first query. `close()` ends the pool it created.
 */
export async function openPostgresStores(options: PostgresStoreOptions): Promise<Stores> {
  let schema: string;
  let pool: pg.Pool;
  let owned: boolean;
  try {
    schema = schemaOf(options);
    if (options.pool) {
      pool = options.pool;
      owned = false;
    } else {
      pool = new pg.Pool(poolConfigFor(options));
      owned = true;
    }
  } catch (err) {
    throw new StoreError('invalid-argument', err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
  const session = new PgSession(pool, schema, owned);
  let version: number;
  try {
    const r = await pool.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM "${schema}".parley_schema_migrations`,
    );
    version = r.rows[0]?.v ?? 0;
  } catch (err) {
    await session.close();
    const missing = (err as { code?: unknown }).code === '42P01';
    throw new StoreError(
      'backend',
      missing
        ? `PostgreSQL schema "${schema}" has no Parley tables: run \`xmppctl postgres migrate\``
        : `cannot use PostgreSQL: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (version < POSTGRES_SCHEMA_VERSION) {
    await session.close();
    throw new StoreError(
      'backend',
      `PostgreSQL schema "${schema}" is at version ${version}, this server needs ${POSTGRES_SCHEMA_VERSION}: run \`xmppctl postgres migrate\``,
    );
  }
  return {
    accounts: new PostgresAccountStore(session),
    rosters: new PostgresRosterStore(session),
    offline: new PostgresOfflineStore(session),
    lastActivity: new PostgresLastActivityStore(session),
    blocklists: new PostgresBlocklistStore(session),
    archive: new PostgresArchiveStore(session),
    rooms: new PostgresRoomStore(session),
    pubsub: new PostgresPubsubStore(session),
    vcards: new PostgresVcardStore(session),
    privateXml: new PostgresPrivateStore(session),
    pushRegistrations: new PostgresPushRegistrationStore(session),
    pushDevices: new PostgresPushDeviceStore(session),
    fastTokens: new PostgresFastTokenStore(session),
    invitations: new PostgresInvitationStore(session),
    close: () => session.close(),
  };
}
