/**
 * Stream management sessions of one gateway that no live connection holds:
 * detached ones (connection lost, waiting to be resumed), ending ones
 * (bouncing what their client never acknowledged) and lost ones (their store
 * record changed hands). Also the reaper that ends expired sessions: every
 * gateway reaps every expired record of the shared store, so the sessions of
 * a gateway that died still end (unbind published, unacknowledged messages
 * bounced) when nobody resumes them.
 */
import type { Config } from '@parley/config';
import { bareOf } from '@parley/jid';
import { gatewaySubject, routeSubject } from '@parley/routing';
import type {
  Envelope,
  Fence,
  FenceDone,
  GatewayMessage,
  SessionDetached,
  UnbindRequest,
} from '@parley/routing';
import type { ResumptionState, ResumptionStore } from '@parley/store';
import type { Logger } from '@parley/telemetry';
import type { Connection } from '../connection.js';
import type { GatewayMetrics } from '../metrics.js';
import { bounceStanzas } from '../relay/bounce.js';
import type { BouncePolicy } from '../relay/bounce.js';
import type { SmSession } from './session.js';

/**
 * How long a session that lost its store record waits for the new owner's
 * takeover message before it gives up (closes, bounces, unbinds): longer
 * than the resuming gateway waits for the registry (sm.takeoverTimeoutMs).
 */
export function lostGraceMs(config: Config): number {
  return config.sm.takeoverTimeoutMs + 10_000;
}
/** A detached session still here this long after its deadline was reaped elsewhere. */
const DEADLINE_GRACE_MS = 5_000;
/** Expired records reaped per pass. */
const REAP_BATCH = 100;

export interface SmManagerDeps {
  config: Config;
  resumption: ResumptionStore;
  logger: Logger;
  metrics: GatewayMetrics;
  gatewayId: string;
  publish(subject: string, data: unknown): void;
  connections: ReadonlyMap<string, Connection>;
}

export interface EndOptions {
  /** Publish the unbind even when the store says the session belongs to someone else. */
  forceUnbind?: boolean;
}

export class SmManager {
  /** Sessions without a live connection, by the connection id the registry knows. */
  private readonly sessions = new Map<string, SmSession>();
  /** Detached sessions (counted in the gauge), by SM-ID. */
  private readonly detachedById = new Map<string, SmSession>();
  private reaping = false;
  /** Sessions being ended (their bounces not published yet). */
  private readonly ending = new Set<Promise<void>>();
  /** Sessions being ended or handed over, by connection id: resolves once their bounces are published. */
  private readonly settling = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: SmManagerDeps) {
    if (deps.config.sm.enabled) {
      const every = Math.max(50, Math.min(5_000, Math.floor(deps.config.sm.resumeTimeoutMs / 5)));
      this.timer = setInterval(() => void this.reapPass(), every);
      this.timer.unref();
    }
  }

  get detachedCount(): number {
    return this.detachedById.size;
  }

  /** Detached sessions the registry still routes to this gateway (for re-registration). */
  *detachedSessions(): Iterable<SmSession> {
    for (const sm of this.detachedById.values()) if (!sm.ended && !sm.lost) yield sm;
  }

  /** A delivery for a connection that is not live; false when nothing here takes it (the caller bounces). */
  deliver(connId: string, env: Envelope): boolean {
    const sm = this.sessions.get(connId);
    if (sm === undefined || sm.finished) return false;
    sm.stanza(env.xml, env.did);
    return true;
  }

  /** The connection of a resumable session was lost: keep the session until resumed or expired. */
  detach(sm: SmSession): void {
    sm.detach(Date.now());
    this.sessions.set(sm.connId, sm);
    if (sm.id !== undefined && !sm.lost && !this.detachedById.has(sm.id)) {
      this.detachedById.set(sm.id, sm);
      this.deps.metrics.detached.inc();
      // The registry marks the session detached until it is resumed (XEP-0357 pushes for it).
      const note: SessionDetached = { t: 'session-detached', jid: sm.jid, conn: sm.connId };
      this.deps.publish(routeSubject(sm.user, this.deps.config.routing.partitions), note);
    }
    this.deps.logger.info('stream management session detached', {
      conn: sm.connId,
      jid: sm.jid,
      ...(sm.lost && { lost: true }),
    });
  }

  /**
   * Too many unacknowledged stanzas (sm.maxQueue), or too much of them
   * (sm.maxQueueBytes): the session ends.
   */
  overflow(sm: SmSession, bound: 'sm-count' | 'sm-bytes'): void {
    const { maxQueue, maxQueueBytes } = this.deps.config.sm;
    const text =
      bound === 'sm-count' ? 'too many unacknowledged stanzas' : 'too much unacknowledged data';
    this.deps.logger.warn(`${text}; ending the session`, {
      conn: sm.connId,
      jid: sm.jid,
      ...(bound === 'sm-count'
        ? { limit: maxQueue }
        : { limitBytes: maxQueueBytes, queued: sm.queueBytes }),
    });
    this.deps.metrics.shaping.overflow(bound);
    if (sm.conn !== undefined) {
      sm.conn.closeStream('resource-constraint', text);
    } else {
      void this.end(sm);
    }
  }

  /**
   * The session is over: drop its store record, then (if it was still ours)
   * publish the unbind and bounce the unacknowledged stanzas, then whatever
   * arrived meanwhile. Resolves when done.
   */
  end(sm: SmSession, opts: EndOptions = {}): Promise<void> {
    if (sm.ended) return Promise.resolve();
    sm.ended = true;
    const done = this.finishEnd(sm, opts);
    this.ending.add(done);
    this.track(sm.connId, done);
    const forget = (): void => void this.ending.delete(done);
    done.then(forget, forget);
    return done;
  }

  private track(connId: string, done: Promise<void>): void {
    this.settling.set(connId, done);
    const forget = (): void => {
      if (this.settling.get(connId) === done) this.settling.delete(connId);
    };
    done.then(forget, forget);
  }

  private async finishEnd(sm: SmSession, opts: EndOptions): Promise<void> {
    if (sm.conn === undefined || !sm.conn.open) this.sessions.set(sm.connId, sm);
    try {
      await sm.settled();
      let owner = true;
      if (sm.id !== undefined && !sm.lost) {
        try {
          owner = (await this.deps.resumption.delete(sm.id, sm.epoch)) !== undefined;
        } catch (err) {
          // Cannot tell: act as the owner (a duplicate bounce beats a lost stanza).
          this.deps.logger.warn('resumption store delete failed', { conn: sm.connId, err });
        }
      } else if (sm.lost) {
        owner = false;
      }
      if (owner || opts.forceUnbind === true || sm.synced)
        this.publishUnbind(sm.jid, sm.user, this.deps.gatewayId, sm.connId);
      const bounced = owner ? sm.queue.map(([, xml]) => xml) : sm.unpersisted();
      this.bounce(bounced, sm, 'unacked');
      this.bounce(sm.orphans.splice(0), sm, 'unacked');
    } catch (err) {
      this.deps.logger.error('ending a stream management session failed', { conn: sm.connId, err });
    } finally {
      this.finish(sm);
    }
  }

  /**
   * The session was resumed on another stream (takeover message, or a
   * resumption on this gateway): the old connection closes without an
   * unbind, and what never reached its client goes to the new one.
   */
  takeover(connId: string): void {
    const live = this.deps.connections.get(connId);
    let sm = live?.sm;
    // A session already ending settles its own stanzas (end() sees it is no longer the owner).
    if (live !== undefined && sm !== undefined) {
      if (sm.ended) return;
      live.supersede();
    } else {
      sm = this.sessions.get(connId);
      if (sm === undefined || sm.ended) return;
      sm.ended = true;
    }
    const handed = sm;
    // Listed in a re-registration: that listing may reach the partition after the resumption
    // (or its refusal); this unbind, after it in order, removes what it would have left behind.
    if (handed.synced) this.publishUnbind(handed.jid, handed.user, this.deps.gatewayId, connId);
    // Appends still in flight fail (the record has a new owner): those stanzas never
    // reached the old client, and the new owner does not have them either.
    const done = handed
      .settled()
      .then(() => {
        this.bounce([...handed.unpersisted(), ...handed.orphans.splice(0)], handed, 'all');
        // In the same step: a delivery arriving after the bounce is bounced by its caller.
        this.finish(handed);
        this.deps.logger.info('stream management session handed over', {
          conn: connId,
          jid: handed.jid,
        });
      })
      .catch((err: unknown) => {
        this.deps.logger.error('handing a session over failed', { conn: connId, err });
      })
      .finally(() => this.finish(handed));
    this.track(connId, done);
  }

  /**
   * The registry moved the session of `fence.conn` to another connection
   * and sent this behind every delivery it routed to `fence.conn`: let go of
   * it (as on `sm-takeover`, which may come later or not at all), bounce
   * what it still holds, then answer `fence-done` behind those bounces (the
   * same partition subject, so the same ordering scope). The registry holds
   * back newer deliveries for the session until then.
   */
  fence(fence: Fence): void {
    this.takeover(fence.conn);
    const done: FenceDone = { t: 'fence-done', jid: fence.jid, conn: fence.conn, id: fence.id };
    const answer = (): void =>
      this.deps.publish(routeSubject(bareOf(fence.jid), this.deps.config.routing.partitions), done);
    const pending = this.settling.get(fence.conn);
    if (pending === undefined) answer();
    else void pending.then(answer, answer);
  }

  /** The registry replaced a detached session (its resource was bound again): it ends. */
  kickDetached(connId: string): void {
    const sm = this.sessions.get(connId);
    if (sm !== undefined && !sm.ended) void this.end(sm);
  }

  /** Publishes the takeover for the old owner of a resumed session (this gateway or another). */
  announceTakeover(state: Pick<ResumptionState, 'gw' | 'conn' | 'id'>): void {
    if (state.gw === this.deps.gatewayId) {
      this.takeover(state.conn);
      return;
    }
    const msg: GatewayMessage = { t: 'sm-takeover', conn: state.conn, id: state.id };
    // Plain publish: if that gateway is dead nobody listens, and that is fine.
    this.deps.publish(gatewaySubject(state.gw), msg);
  }

  publishUnbind(jid: string, user: string, gw: string, conn: string): void {
    const msg: UnbindRequest = { t: 'unbind', jid, gw, conn };
    this.deps.publish(routeSubject(user, this.deps.config.routing.partitions), msg);
  }

  private bounce(stanzas: string[], sm: SmSession, policy: BouncePolicy): void {
    if (stanzas.length === 0) return;
    const n = bounceStanzas(this.deps, stanzas, sm.jid, sm.connId, policy);
    if (n > 0)
      this.deps.logger.info('bounced stanzas of a stream management session', {
        conn: sm.connId,
        jid: sm.jid,
        count: n,
      });
  }

  private finish(sm: SmSession): void {
    sm.ended = true;
    sm.finished = true;
    if (this.sessions.get(sm.connId) === sm) this.sessions.delete(sm.connId);
    if (sm.id !== undefined && this.detachedById.get(sm.id) === sm) {
      this.detachedById.delete(sm.id);
      this.deps.metrics.detached.dec();
    }
  }

  // --- expiry ------------------------------------------------------------------

  /** One pass of the reaper; also run by tests. */
  async reapPass(now = Date.now()): Promise<void> {
    if (this.reaping || this.closed) return;
    this.reaping = true;
    try {
      const store = this.deps.resumption;
      const ids = await store.expired(now, REAP_BATCH);
      for (const id of ids) {
        const state = await store.reap(id, now);
        if (state !== undefined) this.expire(state);
      }
      for (const sm of [...this.sessions.values()]) {
        if (sm.ended) continue;
        if (
          sm.lost
            ? now - sm.lostAt >= lostGraceMs(this.deps.config)
            : now >= sm.detachedAt + sm.timeoutMs + DEADLINE_GRACE_MS
        ) {
          void this.end(sm, { forceUnbind: true });
        }
      }
    } catch (err) {
      this.deps.logger.warn('resumption reaper failed', { err });
    } finally {
      this.reaping = false;
    }
  }

  /** Nobody resumed the session in time (wherever it was held): it ends. */
  private expire(state: ResumptionState): void {
    const user = bareOf(state.jid);
    this.publishUnbind(state.jid, user, state.gw, state.conn);
    const n = bounceStanzas(
      this.deps,
      state.outbound.map(([, xml]) => xml),
      state.jid,
      state.conn,
      'unacked',
    );
    this.deps.logger.info('stream management session expired', {
      jid: state.jid,
      gw: state.gw,
      conn: state.conn,
      bounced: n,
    });
    const local = this.detachedById.get(state.id);
    if (local !== undefined && local.epoch === state.epoch && !local.ended) {
      // Appends still in flight failed (the record is gone): bounce those after the stored ones.
      local.ended = true;
      local
        .settled()
        .then(() => {
          this.bounce([...local.unpersisted(), ...local.orphans.splice(0)], local, 'unacked');
          // In the same step: a delivery arriving after the bounce is bounced by its caller.
          this.finish(local);
        })
        .catch((err: unknown) => {
          this.deps.logger.error('ending an expired session failed', { conn: local.connId, err });
        })
        .finally(() => this.finish(local));
    }
  }

  /**
   * Gateway shutdown: the sessions held here end now (nobody would receive
   * their deliveries once this gateway is gone).
   */
  /**
   * Gateway shutdown (drain). Resumable sessions whose state is in the
   * store stay resumable: their clients reconnect to another gateway and
   * resume there; if they never do, a surviving gateway expires them. Only
   * sessions that cannot be resumed anywhere end here.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const keep = (sm: SmSession) => sm.resumable && !sm.lost && !sm.ended && sm.conn === undefined;
    const all = [...this.sessions.values()];
    await Promise.all(all.filter(keep).map((sm) => sm.settled()));
    await Promise.all(all.filter((sm) => !keep(sm)).map((sm) => this.end(sm)));
    await Promise.all([...this.ending]);
  }
}
