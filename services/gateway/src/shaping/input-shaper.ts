/**
 * Traffic shaping of one client stream's input, as ejabberd's shapers
 * (`shaper`, `c2s_shaper`) and Prosody's mod_limits do it: two token
 * buckets, bytes/s and stanzas/s (`shaper.*`), with the limits of
 * `shaper.unauthenticated` until SASL success and of
 * `shaper.authenticated` (fresh, full buckets) after it; accounts in
 * `shaper.exemptJids` are not shaped once authenticated.
 *
 * Nothing is ever dropped. Bytes are counted per chunk read (a TCP or TLS
 * chunk, a WebSocket message, a BOSH request body) before it is parsed, and
 * stanzas one by one as they are handled. When a bucket is in debt the
 * stream is paused: the transport stops reading (TCP and TLS sockets and
 * the WebSocket's socket: the kernel's buffers fill and TCP slows the
 * sender down; BOSH holds the next request of the session), and the
 * connection keeps the elements already parsed, in order, until a timer
 * finds the buckets paid back. One session cannot take more than its share
 * of a gateway's event loop, whatever it sends.
 */
import type { Config, ShaperLimits } from '@parley/config';
import { tryParseJID } from '@parley/jid';
import type { ShaperLimit, ShaperStage, ShapingMetrics } from './metrics.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The shortest pause: a stream that is out of tokens waits at least this
 * long, so a throttled stream is woken at most 50 times a second and then
 * handles what has accumulated in that time.
 */
export const MIN_PAUSE_MS = 20;

/** What the shaper needs of its connection. */
export interface ShapedStream {
  readonly ctx: {
    readonly config: Config;
    readonly metrics: { readonly shaping: ShapingMetrics };
  };
  readonly transport: { pause(): void };
  /** The account, once authenticated. */
  readonly user: string | undefined;
  /** The shaper let go: handle what waits and read again. */
  unthrottled(): void;
}

export class InputShaper {
  private stage: ShaperStage = 'unauthenticated';
  private byteBucket: TokenBucket | undefined;
  private stanzaBucket: TokenBucket | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly conn: ShapedStream,
    now: number,
  ) {
    this.use(conn.ctx.config.shaper.unauthenticated, now);
  }

  /** The shaper of a new stream, or undefined when shaping is off. */
  static create(conn: ShapedStream, now = Date.now()): InputShaper | undefined {
    return conn.ctx.config.shaper.enabled ? new InputShaper(conn, now) : undefined;
  }

  /** Input is paused until the buckets are paid back. */
  get paused(): boolean {
    return this.timer !== undefined;
  }

  /** `n` bytes were read (a chunk, a message, a request body). */
  bytes(n: number, now: number): void {
    if (this.stage === 'unauthenticated' && this.conn.user !== undefined) this.authenticated(now);
    const wait = this.byteBucket?.take(n, now) ?? 0;
    if (wait > 0) this.pause(wait, 'bytes');
  }

  /** A stanza is about to be handled. */
  stanza(now: number): void {
    if (this.stage === 'unauthenticated' && this.conn.user !== undefined) this.authenticated(now);
    const wait = this.stanzaBucket?.take(1, now) ?? 0;
    if (wait > 0) this.pause(wait, 'stanzas');
  }

  /** The stream is over: no timer is left behind. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private authenticated(now: number): void {
    this.stage = 'authenticated';
    const { shaper } = this.conn.ctx.config;
    if (exemptAccounts(this.conn.ctx.config).has(this.conn.user!)) {
      this.byteBucket = undefined;
      this.stanzaBucket = undefined;
    } else {
      this.use(shaper.authenticated, now);
    }
  }

  private use(limits: ShaperLimits, now: number): void {
    this.byteBucket =
      limits.bytesPerSecond > 0
        ? new TokenBucket(limits.bytesPerSecond, limits.burstBytes, now)
        : undefined;
    this.stanzaBucket =
      limits.stanzasPerSecond > 0
        ? new TokenBucket(limits.stanzasPerSecond, limits.burstStanzas, now)
        : undefined;
  }

  private pause(ms: number, limit: ShaperLimit): void {
    // Also when already paused: the transport may read from a new socket (STARTTLS swapped it).
    this.conn.transport.pause();
    if (this.timer !== undefined) return;
    this.conn.ctx.metrics.shaping.paused(this.stage, limit);
    this.arm(ms);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(release, Math.max(ms, MIN_PAUSE_MS), this);
    this.timer.unref();
  }

  /** The timer fired: go on if both buckets are paid back, else wait for the rest. */
  release(): void {
    this.timer = undefined;
    const now = Date.now();
    const wait = Math.max(this.byteBucket?.waitMs(now) ?? 0, this.stanzaBucket?.waitMs(now) ?? 0);
    if (wait > 0) {
      this.arm(wait);
      return;
    }
    this.conn.unthrottled();
  }
}

function release(shaper: InputShaper): void {
  shaper.release();
}

const exempt = new WeakMap<Config, ReadonlySet<string>>();

/** `shaper.exemptJids`, normalized as authenticated users are (computed once per configuration). */
function exemptAccounts(config: Config): ReadonlySet<string> {
  let set = exempt.get(config);
  if (set === undefined) {
    set = new Set(
      config.shaper.exemptJids.map((j) => tryParseJID(j)?.bare().toString() ?? j.toLowerCase()),
    );
    exempt.set(config, set);
  }
  return set;
}
