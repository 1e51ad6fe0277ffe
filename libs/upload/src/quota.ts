/**
 * Per-user quota, computed from storage: what a user has stored (listed by
 * the backend under the user's prefix) plus the slots given to them whose
 * PUT URL is still valid and whose file has not arrived yet. The latter are
 * kept in memory by the node that gives the slots; every slot request for
 * upload.<domain> is handled at that service's registry partition, so one
 * node sees them all, and a partition that moves forgets at most the slots
 * of the last `putValidityMs`.
 */
import type { StoredFile } from './backend.js';

interface Reserved {
  slot: string;
  size: number;
  /** ms since the epoch. */
  expires: number;
}

/** Slots given but not uploaded yet, per user. */
export class PendingSlots {
  private readonly byUser = new Map<string, Reserved[]>();

  add(user: string, r: Reserved): void {
    const list = this.byUser.get(user);
    if (list) list.push(r);
    else this.byUser.set(user, [r]);
  }

  /** The reservations of `user` still open: not expired, not among `stored`. */
  open(user: string, stored: readonly StoredFile[], now: number): Reserved[] {
    const list = this.byUser.get(user);
    if (!list) return [];
    const done = new Set(stored.map((f) => f.slot));
    const left = list.filter((r) => r.expires > now && !done.has(r.slot));
    if (left.length === 0) this.byUser.delete(user);
    else this.byUser.set(user, left);
    return left;
  }

  /** Forgets every expired reservation (bounded memory: call from a timer). */
  sweep(now: number): void {
    for (const [user, list] of this.byUser) {
      const left = list.filter((r) => r.expires > now);
      if (left.length === 0) this.byUser.delete(user);
      else this.byUser.set(user, left);
    }
  }

  get size(): number {
    return this.byUser.size;
  }
}

export type QuotaVerdict =
  { ok: true; used: number } | { ok: false; used: number; retryAt?: number };

/**
 * Whether `size` more bytes fit in `quota` (0 = unlimited) given the user's
 * stored files and open reservations. When they do not, `retryAt` is the
 * first time enough of them expire (files after `expiryMs`, 0 = never;
 * reservations when their PUT URL does), if any.
 */
export function checkQuota(args: {
  quota: number;
  size: number;
  files: readonly StoredFile[];
  pending: readonly { size: number; expires: number }[];
  expiryMs: number;
}): QuotaVerdict {
  const { quota, size, files, pending, expiryMs } = args;
  const used = files.reduce((n, f) => n + f.size, 0) + pending.reduce((n, r) => n + r.size, 0);
  if (quota === 0 || used + size <= quota) return { ok: true, used };
  if (size > quota) return { ok: false, used };
  const freed = [
    ...pending.map((r) => ({ at: r.expires, size: r.size })),
    ...(expiryMs > 0 ? files.map((f) => ({ at: f.createdAt + expiryMs, size: f.size })) : []),
  ].sort((a, b) => a.at - b.at);
  let left = used;
  for (const f of freed) {
    left -= f.size;
    if (left + size <= quota) return { ok: false, used, retryAt: f.at };
  }
  return { ok: false, used };
}
