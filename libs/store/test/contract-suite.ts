import { afterEach, beforeEach, describe } from 'vitest';
import type { Stores } from '../src/contracts.js';
import type { ResumptionStore } from '../src/resumption.js';
import { accountTests } from './suite/accounts.js';
import { archiveTests } from './suite/archive.js';
import { blocklistTests } from './suite/blocklists.js';
import { fastTokenTests } from './suite/fast-tokens.js';
import { invitationTests } from './suite/invitations.js';
import { lastActivityTests } from './suite/last-activity.js';
import { lifecycleTests } from './suite/lifecycle.js';
import { offlineTests } from './suite/offline.js';
import { privateXmlTests } from './suite/private-xml.js';
import { pubsubTests } from './suite/pubsub.js';
import { pushTests } from './suite/push.js';
import { resumptionTests } from './suite/resumption.js';
import { roomTests } from './suite/rooms.js';
import { rosterTests } from './suite/rosters.js';
import { vcardTests } from './suite/vcards.js';

/**
 * The behaviour every storage backend must show, as vitest tests. Call it at
 * the top level of a backend's test file.
 *
 * `open` runs before every test and must return fresh, empty stores; the
 * stores are closed after every test (close must be idempotent) and then
 * `cleanup`, if given, runs (e.g. to remove a temporary directory).
 */
export function runStoreContractSuite(
  name: string,
  open: () => Promise<Stores>,
  cleanup?: () => Promise<void>,
): void {
  describe(`store contract: ${name}`, () => {
    let current: Stores | undefined;

    beforeEach(async () => {
      current = await open();
    });

    afterEach(async () => {
      const stores = current;
      current = undefined;
      await stores?.close();
      await cleanup?.();
    });

    const stores = (): Stores => {
      if (!current) throw new Error('stores are only available inside a test');
      return current;
    };

    accountTests(stores);
    fastTokenTests(stores);
    invitationTests(stores);
    rosterTests(stores);
    offlineTests(stores);
    lastActivityTests(stores);
    blocklistTests(stores);
    archiveTests(stores);
    roomTests(stores);
    pubsubTests(stores);
    vcardTests(stores);
    privateXmlTests(stores);
    pushTests(stores);
    lifecycleTests(stores);
  });
}

/**
 * The behaviour every ResumptionStore backend must show. `open` runs before
 * every test and returns a store (it may share data with earlier ones: the
 * tests use fresh ids); the store is closed after every test, then
 * `cleanup`, if given, runs.
 */
export function runResumptionStoreContractSuite(
  name: string,
  open: () => Promise<ResumptionStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`resumption store contract: ${name}`, () => {
    let current: ResumptionStore | undefined;

    beforeEach(async () => {
      current = await open();
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      await store?.close();
      await cleanup?.();
    });

    resumptionTests(() => {
      if (!current) throw new Error('the store is only available inside a test');
      return current;
    });
  });
}
