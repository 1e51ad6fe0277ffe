import type { Bus } from '@parley/bus';
import { ROUTE_PREFIX, partitionOf } from '@parley/routing';
import type { RegistryMessage } from '@parley/routing';
import type { Core } from './core.js';
import { endSession } from './sessions.js';

export interface GatewayLiveness {
  live(): Promise<string[]>;
}

/** Interval between checks for sessions held by gateways that stopped heartbeating. */
const CHECK_MS = 2000;
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
export function startReaper(core: Core, liveness: GatewayLiveness, owned: () => number[], bus: Bus): { stop(): void } {
  const notified = new Map<string, number>();
  const missingSince = new Map<string, number>();
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const gateways = new Set<string>();
      for (const [, e] of core.sessions.all()) gateways.add(e.gw);
      if (gateways.size === 0) return;
      const live = new Set(await liveness.live());
      const now = Date.now();
      for (const gw of missingSince.keys()) if (live.has(gw) || !gateways.has(gw)) missingSince.delete(gw);
      for (const gw of gateways) {
        if (live.has(gw)) continue;
        const since = missingSince.get(gw) ?? now;
        missingSince.set(gw, since);
        if (now - since < DEAD_AFTER_MS) continue;
        for (const p of owned()) {
          const key = `${gw}/${p}`;
          if ((notified.get(key) ?? 0) > now - RENOTIFY_MS) continue;
          notified.set(key, now);
          const msg: RegistryMessage = { t: 'gateway-down', gw, partition: p };
          await bus.publishDurable(`${ROUTE_PREFIX}.${p}._gateway`, msg);
        }
        core.logger.warn('gateway stopped heartbeating; ending its sessions', { gw });
      }
    } catch (err) {
      core.logger.warn('reaper check failed', { err: String(err) });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Ends every session of the partition held by a dead gateway (runs in the partition's order). */
export async function gatewayDown(core: Core, gw: string, partition: number): Promise<void> {
  const victims: Array<[string, string, string]> = [];
  for (const [bare, e] of core.sessions.all()) {
    if (e.gw === gw && partitionOf(bare, core.partitions) === partition) victims.push([bare, e.resource, e.conn]);
  }
  for (const [bare, resource, conn] of victims) await endSession(core, bare, resource, conn);
}
