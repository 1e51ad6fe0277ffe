/**
 * Connection limits per client address (IPv6: its /64, addressKey of @parley/cluster)
 * that protect the gateway without locking out the innocent (issue 15):
 *
 * - unauthenticated connections (`c2s.maxUnauthenticatedPerAddress`), from
 *   the TCP accept (TLS handshake, STARTTLS, WebSocket upgrade, BOSH session
 *   creation included) until SASL success. At the cap the OLDEST of them is
 *   evicted to make room: a newcomer is never refused, so connections held
 *   open by an attacker cannot keep a real client of the same address (a
 *   carrier-grade NAT) out; they only bound what one address costs;
 * - authenticated sessions (`c2s.maxSessionsPerAddress`), high by default
 *   for NAT: a login beyond it is refused, open sessions are never touched.
 *
 * Each connection holds one `AddressSlot` from accept to close. Counts are
 * per gateway process.
 */
import { addressKey } from '@parley/cluster';

export type SlotState = 'unauthenticated' | 'authenticated' | 'released';

/** One connection's place in its address's counts. */
export class AddressSlot {
  state: SlotState = 'unauthenticated';

  constructor(
    /** The address key (IPv4 address, IPv6 /64). */
    readonly key: string,
    /** When the TCP connection was accepted: the pre-authentication deadline counts from here. */
    readonly acceptedAt: number,
    /**
     * Closes the connection when it is evicted: a plain close during a
     * handshake, a policy-violation stream error once a stream is open.
     * Replaced by whoever takes the connection over.
     */
    public evict: () => void,
  ) {}
}

interface AddressEntry {
  /** Insertion order is age: the first one is the oldest. */
  readonly unauthenticated: Set<AddressSlot>;
  sessions: number;
}

export interface AddressLimitsOptions {
  /** 0 = unlimited. */
  maxUnauthenticated: number;
  /** 0 = unlimited. */
  maxSessions: number;
  /** A slot was evicted (metrics). */
  onEvict?(slot: AddressSlot): void;
  /** A login was refused over the session cap (metrics). */
  onRefuse?(slot: AddressSlot): void;
}

export class AddressLimits {
  private readonly entries = new Map<string, AddressEntry>();

  constructor(private readonly opts: AddressLimitsOptions) {}

  /**
   * A new unauthenticated connection from `ip`. When its address is at the
   * cap, the oldest unauthenticated connection of that address is evicted
   * first (its slot released, its `evict` called).
   */
  open(ip: string, evict: () => void, acceptedAt = Date.now()): AddressSlot {
    const key = addressKey(ip);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { unauthenticated: new Set(), sessions: 0 };
      this.entries.set(key, entry);
    }
    const max = this.opts.maxUnauthenticated;
    while (max > 0 && entry.unauthenticated.size >= max) {
      const oldest = entry.unauthenticated.values().next().value as AddressSlot;
      entry.unauthenticated.delete(oldest);
      oldest.state = 'released';
      this.opts.onEvict?.(oldest);
      try {
        oldest.evict();
      } catch {
        // Closing a connection must not stop the newcomer.
      }
    }
    const slot = new AddressSlot(key, acceptedAt, evict);
    entry.unauthenticated.add(slot);
    return slot;
  }

  /**
   * SASL success: the slot becomes an authenticated session, unless its
   * address is at the session cap (false: the login is to be refused; the
   * slot stays unauthenticated until it is released).
   */
  authenticate(slot: AddressSlot): boolean {
    if (slot.state !== 'unauthenticated') return slot.state === 'authenticated';
    const entry = this.entries.get(slot.key);
    if (entry === undefined) return false;
    const max = this.opts.maxSessions;
    if (max > 0 && entry.sessions >= max) {
      this.opts.onRefuse?.(slot);
      return false;
    }
    entry.unauthenticated.delete(slot);
    entry.sessions++;
    slot.state = 'authenticated';
    return true;
  }

  /** The connection is gone (idempotent; an evicted slot is already released). */
  release(slot: AddressSlot): void {
    const was = slot.state;
    if (was === 'released') return;
    slot.state = 'released';
    const entry = this.entries.get(slot.key);
    if (entry === undefined) return;
    if (was === 'authenticated') entry.sessions--;
    else entry.unauthenticated.delete(slot);
    if (entry.sessions === 0 && entry.unauthenticated.size === 0) this.entries.delete(slot.key);
  }

  /** The counts of `ip`'s address (tests, diagnostics). */
  counts(ip: string): { unauthenticated: number; sessions: number } {
    const entry = this.entries.get(addressKey(ip));
    return { unauthenticated: entry?.unauthenticated.size ?? 0, sessions: entry?.sessions ?? 0 };
  }

  /** Addresses with at least one connection. */
  get addresses(): number {
    return this.entries.size;
  }
}
