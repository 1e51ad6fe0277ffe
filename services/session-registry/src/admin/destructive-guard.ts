/**
 * Destructive bus messages are checked against the authoritative state
 * before they are acted on: `account-removed` wipes an account's data only
 * when the account store no longer has the account, and `gateway-down` ends
 * sessions only when the gateway has stopped heartbeating. A refused message
 * is logged (warn) and counted in
 * `parley_bus_destructive_refused_total{type,reason}`.
 *
 * This is defence in depth, not access control: a process that can publish
 * on the bus can still forge stanzas or kick connections. NATS
 * authentication and per-service subject permissions keep such processes
 * off the bus (docs/security.md).
 */
import type { Logger, Metrics } from '@parley/telemetry';
import type { RegistryContext } from '../registry-context.js';
import type { GatewayLiveness } from '../sessions/reaper.js';

export type RefusalReason = 'account-exists' | 'gateway-alive';

export interface DestructiveGuard {
  /** Whether `account-removed` for `jid` may wipe its data: the account store no longer has it. */
  accountRemovable(jid: string): Promise<boolean>;
  /** Whether `gateway-down` for `gw` may end its sessions: it is not heartbeating. */
  gatewayDown(gw: string): Promise<boolean>;
}

export function destructiveGuard(
  core: Pick<RegistryContext, 'stores'>,
  liveness: GatewayLiveness | undefined,
  metrics: Metrics,
  logger: Logger,
): DestructiveGuard {
  const refused = metrics.counter(
    'parley_bus_destructive_refused_total',
    'Destructive bus messages not acted on because the authoritative state contradicts them (account-removed for an existing account, gateway-down for a live gateway), by type and reason.',
    ['type', 'reason'],
  );
  const refuse = (type: string, reason: RefusalReason, fields: Record<string, unknown>) => {
    refused.inc({ type, reason });
    logger.warn('destructive bus message refused', { type, reason, ...fields });
    return false;
  };
  return {
    async accountRemovable(jid) {
      if ((await core.stores.accounts.get(jid)) === undefined) return true;
      return refuse('account-removed', 'account-exists', { jid });
    },
    async gatewayDown(gw) {
      // Single node (no liveness): the in-process bus has no other publishers.
      if (liveness === undefined || !(await liveness.live()).includes(gw)) return true;
      return refuse('gateway-down', 'gateway-alive', { gw });
    },
  };
}
