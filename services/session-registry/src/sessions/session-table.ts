/**
 * The sessions of the accounts in the partitions this worker owns.
 * Single-node mode keeps it in memory; the cluster mirrors it to a shared
 * store, but the owning worker is always the one that changes it.
 */
/**
 * Session flag (`SessionEntry.flags`): the session's connection was lost and
 * it waits for its client to resume (XEP-0198, `session-detached` from its
 * gateway); what is routed to it meanwhile reaches no client until then, so
 * the push module notifies for it. Cleared when the session is resumed.
 */
export const DETACHED = 'detached';

export interface SessionEntry {
  resource: string;
  /** Full JID of the session. */
  jid?: string;
  /** Gateway holding the socket, and the connection id on that gateway. */
  gw: string;
  conn: string;
  /** Has sent initial presence and not yet unavailable. */
  available: boolean;
  priority: number;
  /** Last broadcast available presence, serialized (from = full JID, no 'to'). */
  presence?: string;
  /** Requested the roster: receives roster pushes (RFC 6121 2.1.6). */
  interested: boolean;
  /** Bare/full JIDs that got directed presence and must get unavailable later. */
  directed: Set<string>;
  boundAt: number;
  /**
   * Per-session switches of server modules (carbons enabled, blocklist
   * requested), keyed by a name the module chooses; absent until one is set.
   * Change them through `ModuleContext.setSessionFlag`, which mirrors them.
   */
  flags?: Record<string, boolean>;
  /** Deliveries are parked for it in the session store (its gateway died before it resumed). */
  parked?: boolean;
}

export type SessionChange = (
  bare: string,
  resource: string,
  entry: SessionEntry | undefined,
) => void;

export class SessionTable {
  private byBare = new Map<string, Map<string, SessionEntry>>();
  private count = 0;

  /** Told about every change, to mirror the table to a shared store (cluster mode). */
  constructor(private readonly onChange?: SessionChange) {}

  /** Records an in-place change of an entry (presence, priority, flags, location). */
  touch(bare: string, entry: SessionEntry): void {
    this.onChange?.(bare, entry.resource, entry);
  }

  /** Loads an entry taken over from a previous owner, without reporting it back. */
  load(bare: string, entry: SessionEntry): void {
    let m = this.byBare.get(bare);
    if (!m) this.byBare.set(bare, (m = new Map()));
    if (!m.has(entry.resource)) this.count++;
    m.set(entry.resource, entry);
  }

  /** Forgets entries (partition handed to another owner), without reporting it. */
  unload(pred: (bare: string) => boolean): void {
    for (const [bare, m] of this.byBare) {
      if (!pred(bare)) continue;
      this.count -= m.size;
      this.byBare.delete(bare);
    }
  }

  resources(bare: string): SessionEntry[] {
    const m = this.byBare.get(bare);
    return m ? [...m.values()] : [];
  }

  get(bare: string, resource: string): SessionEntry | undefined {
    return this.byBare.get(bare)?.get(resource);
  }

  /** Available resources (sent presence), optionally only those with priority >= 0. */
  available(bare: string, nonNegativeOnly = false): SessionEntry[] {
    const m = this.byBare.get(bare);
    if (!m) return [];
    const out: SessionEntry[] = [];
    for (const e of m.values())
      if (e.available && (!nonNegativeOnly || e.priority >= 0)) out.push(e);
    return out;
  }

  put(bare: string, entry: SessionEntry): void {
    let m = this.byBare.get(bare);
    if (!m) this.byBare.set(bare, (m = new Map()));
    if (!m.has(entry.resource)) this.count++;
    m.set(entry.resource, entry);
    this.onChange?.(bare, entry.resource, entry);
  }

  remove(bare: string, resource: string): SessionEntry | undefined {
    const m = this.byBare.get(bare);
    const e = m?.get(resource);
    if (!m || !e) return undefined;
    m.delete(resource);
    this.count--;
    if (m.size === 0) this.byBare.delete(bare);
    this.onChange?.(bare, resource, undefined);
    return e;
  }

  size(): number {
    return this.count;
  }

  users(): number {
    return this.byBare.size;
  }

  *all(): Iterable<[string, SessionEntry]> {
    for (const [bare, m] of this.byBare) for (const e of m.values()) yield [bare, e];
  }
}
