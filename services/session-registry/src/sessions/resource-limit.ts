/**
 * Resources per account (`quotas.maxResourcesPerAccount`, docs/security.md):
 * decided where sessions are registered, by the registry worker that owns
 * the account, so the limit holds across every gateway of a cluster.
 */
import { DETACHED } from './session-table.js';
import type { SessionEntry } from './session-table.js';

/** What a bind of a new resource does about the account's limit. */
export type ResourceRoom =
  | { ok: true; evict: SessionEntry[] }
  | { ok: false; condition: 'resource-constraint'; text: string };

/**
 * Room for one more resource besides `sessions` (the account's current
 * ones) under `max` (0 = unlimited). At the limit, sessions that wait for
 * a XEP-0198 resumption without a connection (`detached`) are given up,
 * oldest first, when that makes room: a phone that lost its network and
 * came back without resuming must not lock its owner out until the
 * resumption timeout. Otherwise the bind is refused (RFC 6120 7.6.2.1).
 */
export function roomForResource(sessions: readonly SessionEntry[], max: number): ResourceRoom {
  if (max === 0 || sessions.length < max) return { ok: true, evict: [] };
  const excess = sessions.length - max + 1;
  const detached = sessions
    .filter((s) => s.flags?.[DETACHED] === true)
    .sort((a, b) => a.boundAt - b.boundAt);
  if (detached.length >= excess) return { ok: true, evict: detached.slice(0, excess) };
  return {
    ok: false,
    condition: 'resource-constraint',
    text: `the account has reached its limit of ${max} connected resources`,
  };
}
