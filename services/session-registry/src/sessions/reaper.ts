import type { Bus, OrderedConsumer } from '@parley/bus';
import { bareOf } from '@parley/jid';
import {
  GATEWAY_MESSAGES,
  ROUTE_PREFIX,
  gatewayConsumerName,
  gatewaySubject,
  partitionOf,
  routeSubject,
  undeliveredStanza,
} from '@parley/routing';
import type { FenceDone, RegistryMessage } from '@parley/routing';
import type { RegistryContext } from '../registry-context.js';
import { DETACHED } from './session-table.js';
import { RESUMABLE, endSession } from './sessions.js';

export interface GatewayLiveness {
  live(): Promise<string[]>;
  /**
   * True only when the gateway is certainly gone (its NATS connection is
   * closed: `BusLiveness.gone`). Its pending deliveries are then drained at
   * once, so that sessions resumed elsewhere get them within a second
   * instead of after DEAD_AFTER_MS. Its sessions still end only after
   * DEAD_AFTER_MS without heartbeats.
   */
  gone?(gw: string): Promise<boolean>;
}

/** Interval between checks for sessions held by gateways that stopped heartbeating. */
const CHECK_MS = 500;
/** A gateway NATS says is gone counts as dead (for draining) once every check for this long said so. */
const GONE_CONFIRM_MS = 600;
/** A partition is told again about a dead gateway if its sessions are still there after this. */
const RENOTIFY_MS = 30_000;
/**
 * A gateway counts as dead only after missing from the live set for this
 * long, so a Redis restart (which forgets every heartbeat until the next
 * one) never ends healthy sessions.
 */
const DEAD_AFTER_MS = 15_000;

/**
 * Finds sessions whose gateway is gone (crashed, killed) and asks each
 * owning partition, through its ordered stream, to end them: their contacts
 * get presence unavailable, as for a normal disconnect.
 */
export function startReaper(
  core: RegistryContext,
  liveness: GatewayLiveness,
  owned: () => number[],
  bus: Bus,
): { stop(): void } {
  const notified = new Map<string, number>();
  const missingSince = new Map<string, number>();
  const goneSince = new Map<string, number>();
  const draining = new Map<string, Promise<OrderedConsumer | undefined>>();
  let busy = false;
  /** Every gateway seen alive or holding sessions: the ones to watch. */
  const known = new Set<string>();
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const live = new Set(await liveness.live());
      const holding = new Set<string>();
      for (const [, e] of core.sessions.all()) holding.add(e.gw);
      for (const gw of live) known.add(gw);
      for (const gw of holding) known.add(gw);
      const now = Date.now();
      // Only the drainer of a gateway (see below) asks NATS whether it is gone.
      const drainerOf = (gw: string) => owned().includes(partitionOf(gw, core.partitions));
      const gone = new Set<string>();
      if (liveness.gone !== undefined) {
        const probe = [...known].filter(drainerOf);
        const answers = await Promise.all(probe.map((gw) => liveness.gone!(gw)));
        probe.forEach((gw, i) => {
          if (!answers[i]) return void goneSince.delete(gw);
          const since = goneSince.get(gw) ?? now;
          goneSince.set(gw, since);
          if (now - since >= GONE_CONFIRM_MS) gone.add(gw);
        });
      }
      for (const gw of known) {
        if (live.has(gw) && !gone.has(gw)) {
          missingSince.delete(gw);
          const c = draining.get(gw);
          if (c) {
            draining.delete(gw); // it came back: it reads its own deliveries again
            void c.then((consumer) => consumer?.stop());
          }
          continue;
        }
        const since = missingSince.get(gw) ?? now;
        if (!live.has(gw)) missingSince.set(gw, since);
        const dead = !live.has(gw) && now - since >= DEAD_AFTER_MS;
        if (!dead && !gone.has(gw)) continue;
        // One worker drains a dead gateway: the owner of the partition its id hashes to.
        const drainer = drainerOf(gw);
        const c = draining.get(gw);
        if (drainer && c === undefined) {
          core.logger.warn('gateway stopped heartbeating; bouncing its pending deliveries', { gw });
          draining.set(gw, drainGateway(core, bus, gw));
        } else if (!drainer && c !== undefined) {
          draining.delete(gw);
          void c.then((consumer) => consumer?.stop());
        }
        if (!holding.has(gw) || !dead) continue;
        // Resumable sessions wait for their client, but not beyond the resumption window
        // (a safety net for resumption records lost with a Redis restart).
        const resumableToo = now - since > core.config.sm.resumeTimeoutMs + RENOTIFY_MS;
        for (const p of owned()) {
          const key = `${gw}/${p}`;
          if ((notified.get(key) ?? 0) > now - RENOTIFY_MS) continue;
          notified.set(key, now);
          const msg: RegistryMessage = { t: 'gateway-down', gw, partition: p, resumableToo };
          await bus.publishDurable(`${ROUTE_PREFIX}.${p}._gateway`, msg);
        }
        core.logger.warn('ending the sessions of a dead gateway', { gw });
      }
    } catch (err) {
      core.logger.warn('reaper check failed', { err });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), CHECK_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      for (const c of draining.values()) void c.then((consumer) => consumer?.stop());
      draining.clear();
    },
  };
}

/**
 * Reads the deliveries waiting for a dead gateway and hands each one back
 * to its recipient's partition as a bounce: the registry routes it to the
 * session's new connection (after a resumption elsewhere), another resource,
 * offline storage, or an error to the sender. With JetStream the deliveries
 * wait in the gateway's consumer; with the direct transport their senders
 * keep sending them until this consumer confirms them.
 */
function drainGateway(
  core: RegistryContext,
  bus: Bus,
  gw: string,
): Promise<OrderedConsumer | undefined> {
  // Publishes keep their order per subject whether awaited or not. Where the
  // bus confirms a drained message only after its onward publish, the drainer
  // does not wait for each one (a round of confirmations, ~10 ms, per
  // message: a storm of thousands of resumptions drained at tens per second).
  const onward = (sent: Promise<void>): Promise<void> | void => {
    if (!bus.tracksOnward) return sent;
    sent.catch((err: unknown) => core.logger.warn('drained delivery not published', { gw, err }));
  };
  return bus
    .consumeOrdered(gatewaySubject(gw), gatewayConsumerName(gw), async (msg) => {
      const m = core.protocol.decode(GATEWAY_MESSAGES, msg);
      if (m === undefined) {
        // Not understood (counted and logged), but a delivery whose stanza is readable still goes back.
        const lost = undeliveredStanza(msg.data);
        if (lost !== undefined) await core.bounceDelivery(lost);
        return;
      }
      if (m.t === 'fence') {
        // A session moved away from a connection of the dead gateway: what it held for that
        // connection has just been bounced (above, in order); answer for the gateway.
        const done: FenceDone = { t: 'fence-done', jid: m.jid, conn: m.conn, id: m.id };
        return onward(core.bus.publishDurable(routeSubject(bareOf(m.jid), core.partitions), done));
      }
      if (m.t !== 'deliver') return;
      return onward(core.bounceDelivery({ ...m, drained: true }));
    })
    .catch((err: unknown) => {
      core.logger.warn('cannot drain a dead gateway', { gw, err });
      return undefined;
    });
}

/** Ends every session of the partition held by a dead gateway (runs in the partition's order). */
export async function gatewayDown(
  core: RegistryContext,
  gw: string,
  partition: number,
  resumableToo = false,
): Promise<void> {
  const victims: Array<[string, string, string]> = [];
  for (const [bare, e] of core.sessions.all()) {
    const here = e.gw === gw && partitionOf(bare, core.partitions) === partition;
    // A resumable session waits for its client to resume on another gateway;
    // when its resumption deadline passes, a surviving gateway unbinds it.
    // Meanwhile no client holds it: it is detached (as its gateway would have said).
    if (e.flags?.[RESUMABLE] && !resumableToo) {
      if (here && e.flags[DETACHED] !== true) {
        e.flags = { ...e.flags, [DETACHED]: true };
        core.sessions.touch(bare, e);
      }
      continue;
    }
    if (here) victims.push([bare, e.resource, e.conn]);
  }
  for (const [bare, resource, conn] of victims) await endSession(core, bare, resource, conn);
}
