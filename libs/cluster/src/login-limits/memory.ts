/**
 * The login limits of a single node (the all-in-one server): the counters
 * of the contract in this process, in LRU maps bounded to `maxEntries`
 * each (the least recently used go first), with expiry against `now()`.
 */
import { LRUCache } from 'lru-cache';
import { addressKey } from './address-key.js';
import { failureDelay } from './contract.js';
import type {
  AddressState,
  FailureOutcome,
  LoginLimits,
  LoginLimitsOptions,
  RegistrationVerdict,
  Refusal,
} from './contract.js';

interface Count {
  n: number;
  expiresAt: number;
}

export interface MemoryLoginLimitsOptions extends LoginLimitsOptions {
  /** Entries kept per map (address failures, gates, refusals, accounts, registrations). Default 100 000. */
  maxEntries?: number;
  /** The clock (default Date.now; fake timers move it). */
  now?: () => number;
}

export class MemoryLoginLimits implements LoginLimits {
  private readonly now: () => number;
  private readonly failures: LRUCache<string, Count>;
  private readonly accounts: LRUCache<string, Count>;
  private readonly registrations: LRUCache<string, Count>;
  /** Address -> epoch ms before which no attempt is checked. */
  private readonly gates: LRUCache<string, number>;
  private readonly refused: LRUCache<string, Refusal>;
  private global: Count | undefined;

  constructor(private readonly opts: MemoryLoginLimitsOptions) {
    this.now = opts.now ?? Date.now;
    const max = opts.maxEntries ?? 100_000;
    this.failures = new LRUCache({ max });
    this.accounts = new LRUCache({ max });
    this.registrations = new LRUCache({ max });
    this.gates = new LRUCache({ max });
    this.refused = new LRUCache({ max });
  }

  address(address: string): Promise<AddressState> {
    const key = addressKey(address);
    const now = this.now();
    const refusal = this.refusal(key, now);
    return Promise.resolve({
      failures: this.count(this.failures, key, now),
      waitMs: Math.max(0, (this.gates.get(key) ?? 0) - now),
      ...(refusal !== undefined && { refusedUntil: refusal.until }),
    });
  }

  accountFailures(account: string): Promise<number> {
    return Promise.resolve(this.count(this.accounts, account, this.now()));
  }

  recordFailure(address: string, account?: string): Promise<FailureOutcome> {
    const key = addressKey(address);
    const now = this.now();
    const { opts } = this;
    const addressFailures = this.increment(this.failures, key, now, opts.windowMs);
    const accountFailures =
      account === undefined ? 0 : this.increment(this.accounts, account, now, opts.windowMs);
    const gate = Math.max(this.gates.get(key) ?? 0, now);
    const until = Math.min(gate + failureDelay(opts, addressFailures), now + opts.windowMs);
    if (until > now) this.gates.set(key, until);
    let refusal = this.refusal(key, now);
    let refusedNow = false;
    if (
      refusal === undefined &&
      opts.refuseAfterFailures > 0 &&
      addressFailures >= opts.refuseAfterFailures
    ) {
      refusal = { address: key, until: now + opts.refuseForMs, failures: addressFailures };
      this.refused.set(key, refusal);
      refusedNow = true;
    }
    return Promise.resolve({
      addressFailures,
      accountFailures,
      waitMs: Math.max(0, until - now),
      ...(refusal !== undefined && { refusedUntil: refusal.until }),
      refusedNow,
    });
  }

  refusals(): Promise<Refusal[]> {
    const now = this.now();
    const out: Refusal[] = [];
    for (const [key, r] of this.refused.entries()) {
      if (r.until > now) out.push({ ...r, address: key });
    }
    return Promise.resolve(out);
  }

  lift(address: string): Promise<boolean> {
    const key = addressKey(address);
    const was = this.refusal(key, this.now()) !== undefined;
    this.refused.delete(key);
    this.failures.delete(key);
    this.gates.delete(key);
    return Promise.resolve(was);
  }

  takeRegistration(address: string): Promise<RegistrationVerdict> {
    const key = addressKey(address);
    const now = this.now();
    const { maxPerAddress, addressWindowMs, maxGlobal, globalWindowMs } = this.opts.registration;
    const mine = this.live(this.registrations.get(key), now);
    if (maxPerAddress > 0 && mine !== undefined && mine.n >= maxPerAddress) {
      return Promise.resolve({ ok: false, limit: 'address', retryAfterMs: mine.expiresAt - now });
    }
    const all = this.live(this.global, now);
    if (maxGlobal > 0 && all !== undefined && all.n >= maxGlobal) {
      return Promise.resolve({ ok: false, limit: 'global', retryAfterMs: all.expiresAt - now });
    }
    if (maxPerAddress > 0) this.increment(this.registrations, key, now, addressWindowMs);
    if (maxGlobal > 0) {
      this.global = all === undefined ? { n: 1, expiresAt: now + globalWindowMs } : all;
      if (all !== undefined) all.n++;
    }
    return Promise.resolve({ ok: true });
  }

  returnRegistration(address: string): Promise<void> {
    const now = this.now();
    const mine = this.live(this.registrations.get(addressKey(address)), now);
    if (mine !== undefined && mine.n > 0) mine.n--;
    const all = this.live(this.global, now);
    if (all !== undefined && all.n > 0) all.n--;
    return Promise.resolve();
  }

  private refusal(key: string, now: number): Refusal | undefined {
    const r = this.refused.get(key);
    if (r === undefined) return undefined;
    if (r.until > now) return r;
    this.refused.delete(key);
    return undefined;
  }

  private live(c: Count | undefined, now: number): Count | undefined {
    return c !== undefined && c.expiresAt > now ? c : undefined;
  }

  private count(map: LRUCache<string, Count>, key: string, now: number): number {
    return this.live(map.get(key), now)?.n ?? 0;
  }

  /** One more in a fixed window that starts with the first event. */
  private increment(map: LRUCache<string, Count>, key: string, now: number, windowMs: number) {
    const c = this.live(map.get(key), now);
    if (c === undefined) {
      map.set(key, { n: 1, expiresAt: now + windowMs });
      return 1;
    }
    c.n++;
    return c.n;
  }
}
