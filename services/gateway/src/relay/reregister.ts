/**
 * Re-registration of this gateway's sessions with the session registry.
 *
 * The registry keeps its session table in the owner's memory, mirrored to
 * Redis. Each time a worker takes a partition with a fresh load of that
 * mirror it writes a new term (`parley:term:<N>`, see @parley/cluster). A
 * fresh load may miss sessions: Redis restarted empty, or a mirror write
 * failed while Redis was away. So the gateway watches the terms, and when
 * the term of a partition changes it lists every session it holds in that
 * partition (`session-sync`, libs/routing) to the new owner, which adds the
 * ones it does not know: users who are online keep getting their messages
 * instead of having them stored offline.
 *
 * Races. A partition's listing is built and published in one synchronous
 * step, from connections that are bound and detached sessions that wait
 * for resumption; a session that ends afterwards publishes its unbind after
 * the listing, on the same ordering scope, so the owner removes it again.
 * A detached session that is resumed elsewhere after being listed
 * publishes an unbind naming its old connection (`SmSession.synced`), which
 * the registry ignores if the resumption already moved the session.
 *
 * Bounded: batches of SESSION_SYNC_BATCH sessions, partitions one after
 * another with a yield between them, at most `maxPerSecond` sessions a
 * second; idempotent (listing a session twice changes nothing).
 */
import type { Config } from '@parley/config';
import type { Logger, Metrics } from '@parley/telemetry';
import { SESSION_SYNC_BATCH, partitionOf, syncSubject } from '@parley/routing';
import type { SessionSync, SyncedSession } from '@parley/routing';
import type { Connection, SessionRoute } from '../connection.js';
import type { SmManager } from '../sm/manager.js';

export interface ReregistrationDeps {
  config: Config;
  gatewayId: string;
  logger: Logger;
  metrics: Metrics;
  connections: ReadonlyMap<string, Connection>;
  sm: SmManager;
  publish(subject: string, data: unknown): void;
  /** The term of every partition (null: none written yet), e.g. `readTerms` of @parley/cluster. */
  readTerms(): Promise<Array<string | null>>;
  /** How often to read the terms (default 500 ms). */
  intervalMs?: number;
  /** At most this many sessions listed per second (default 20,000). */
  maxPerSecond?: number;
}

export interface Reregistration {
  /** Reads the terms now and re-registers what changed (tests; also run by the timer). */
  check(): Promise<void>;
  stop(): void;
}

export function startReregistration(deps: ReregistrationDeps): Reregistration {
  const partitions = deps.config.routing.partitions;
  const known: Array<string | undefined> = new Array(partitions).fill(undefined);
  let first = true;
  let running: Promise<void> | undefined;
  let stopped = false;
  const listed = deps.metrics.counter(
    'parley_gateway_sessions_reregistered_total',
    'Sessions this gateway listed to a partition owner (session-sync) because the partition changed owner or Redis lost the session table.',
  );
  const passes = deps.metrics.counter(
    'parley_gateway_reregistration_partitions_total',
    'Partitions whose term changed, whose sessions this gateway registered again.',
  );
  const maxPerSecond = deps.maxPerSecond ?? 20_000;
  let windowStart = 0;
  let inWindow = 0;

  const pace = async (n: number): Promise<void> => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      inWindow = 0;
    }
    inWindow += n;
    if (inWindow >= maxPerSecond) await sleep(windowStart + 1000 - now);
    else await new Promise<void>((r) => setImmediate(r));
  };

  /** Lists the live sessions of partition `p`: built and published in one synchronous step. */
  const syncPartition = (p: number): number => {
    const batch: SyncedSession[] = [];
    let n = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const msg: SessionSync = { t: 'session-sync', gw: deps.gatewayId, sessions: batch.splice(0) };
      deps.publish(syncSubject(p), msg);
    };
    const add = (s: SyncedSession): void => {
      batch.push(s);
      n++;
      if (batch.length >= SESSION_SYNC_BATCH) flush();
    };
    for (const conn of deps.connections.values()) {
      if (conn.state !== 'bound' || conn.jid === undefined || conn.user === undefined) continue;
      if (partitionOf(conn.user, partitions) !== p) continue;
      if (conn.sm !== undefined) {
        if (conn.sm.ended || conn.sm.lost) continue;
        conn.sm.synced = true;
      }
      add(entry(conn.jid, conn.id, conn.route, conn.sm?.resumable === true, conn.boundAt));
    }
    for (const sm of deps.sm.detachedSessions()) {
      if (partitionOf(sm.user, partitions) !== p) continue;
      sm.synced = true;
      add(entry(sm.jid, sm.connId, sm.route, true, sm.boundAt));
    }
    flush();
    return n;
  };

  const pass = async (): Promise<void> => {
    const terms = await deps.readTerms();
    const changed: number[] = [];
    for (let p = 0; p < partitions; p++) {
      const t = terms[p];
      if (t === null || t === undefined) continue; // no owner yet, or Redis just came back
      if (known[p] !== t && !first) changed.push(p);
      known[p] = t;
    }
    first = false;
    for (const p of changed) {
      if (stopped) return;
      const n = syncPartition(p);
      passes.inc();
      listed.inc(n);
      if (n > 0)
        deps.logger.info('partition changed owner; sessions registered again', {
          partition: p,
          sessions: n,
        });
      await pace(n);
    }
  };

  const check = (): Promise<void> => {
    if (running !== undefined || stopped) return running ?? Promise.resolve();
    running = pass()
      .catch((err: unknown) => deps.logger.warn('reading partition terms failed', { err }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void check(), deps.intervalMs ?? 500);
  timer.unref();
  void check();
  return {
    check,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function entry(
  jid: string,
  conn: string,
  route: SessionRoute | undefined,
  resumable: boolean,
  boundAt: number,
): SyncedSession {
  const s: SyncedSession = { jid, conn };
  if (route !== undefined) {
    if (route.available) {
      s.available = true;
      s.priority = route.priority;
      if (route.presence !== undefined) s.presence = route.presence;
    }
    if (route.interested) s.interested = true;
  }
  if (resumable) s.resumable = true;
  if (boundAt > 0) s.boundAt = boundAt;
  return s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
}
