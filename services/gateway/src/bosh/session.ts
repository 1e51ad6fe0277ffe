/**
 * One BOSH session (XEP-0124) carrying one XMPP stream (XEP-0206): the
 * `StreamTransport` of its `Connection`, so SASL, bind, stream management,
 * CSI and routing are the same code as over TCP and WebSocket.
 *
 * Requests and responses:
 * - each request has a `rid`; payloads are handed to the connection in rid
 *   order: a request ahead of the next expected rid waits (within the window
 *   of `requests`), one beyond it ends the session with item-not-found;
 * - traffic shaping (shaping/input-shaper.ts): a request's body counts as
 *   bytes, its stanzas one by one; while the connection is throttled the
 *   next request waits unprocessed and unanswered, so a client (which may
 *   have only `requests` of them open) sends nothing more until the
 *   buckets have refilled;
 * - up to `hold` requests are held; output goes to the oldest held request
 *   (writes of one event-loop turn share one response), a request held for
 *   `wait` is answered empty, and one more than `hold` releases the oldest;
 * - the last `requests` responses are kept: a repeated rid gets its response
 *   again (a broken HTTP connection), an older one item-not-found;
 * - a session with no request held for `inactivity` (or an agreed pause) is
 *   a lost connection: `Connection.destroy()`, so a resumable XEP-0198
 *   session waits for resumption and any other ends with unavailable
 *   presence, exactly as when a TCP connection drops.
 *
 * The stream header is the session creation request (and each
 * `xmpp:restart`), handed to the connection as an RFC 7395 `<open/>`; the end
 * of the stream is `type='terminate'` either way.
 */
import type { TLSSocket } from 'node:tls';
import { NS_CLIENT } from '@parley/stanza';
import { FRAMING_NS } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Logger } from '@parley/telemetry';
import type { Connection } from '../connection.js';
import type { CloseInfo, HeaderInfo, StreamTransport } from '../transport/transport.js';
import {
  BOSH_VERSION,
  EMPTY_BODY,
  NS_HTTPBIND,
  body,
  escapeAttr,
  parseRid,
  parseSeconds,
  payloadElement,
  terminate,
  xboshAttr,
} from './protocol.js';
import type { TerminalCondition } from './protocol.js';

/** Where a response goes: an HTTP response, or the reply to a request forwarded by another gateway. */
export interface Responder {
  respond(body: string): void;
  /** The same rid came again on another connection: this one will never be answered. */
  abandon(): void;
}

export interface BoshSessionOptions {
  sid: string;
  kind: 'bosh' | 'boshs';
  secure: boolean;
  remotePort: number | undefined;
  /** An https:// BOSH URL for a client that needs TLS (`see-other-uri`). */
  secureAlternative: string | undefined;
  /** The client's 'to', 'xml:lang' and 'from' (kept for restarts). */
  to: string;
  lang: string | undefined;
  from: string | undefined;
  waitMs: number;
  hold: number;
  inactivityMs: number;
  maxPauseMs: number;
  pollingMs: number;
  logger: Logger;
  /** The session is over and its last answer no longer needed: drop it from the table. */
  onGone(session: BoshSession): void;
}

interface Held {
  rid: number;
  res: Responder;
  timer: NodeJS.Timeout | undefined;
}

/** How long an ended session still answers its last rids with its terminal body. */
const TOMBSTONE_MS = 30_000;

export class BoshSession implements StreamTransport {
  readonly framing = 'websocket';
  readonly canStartTls = false;
  readonly kind: 'bosh' | 'boshs';
  readonly secure: boolean;
  readonly remotePort: number | undefined;
  readonly secureAlternative: string | undefined;
  readonly sid: string;
  /** `hold + 1` (XEP-0124 section 7.1). */
  readonly requests: number;
  conn: Connection | undefined;
  private readonly opts: BoshSessionOptions;
  /** The rid of the last request handed to the connection. */
  private lastRid = 0;
  private held: Held[] = [];
  /** Requests ahead of `lastRid + 1`, waiting for the ones before them. */
  private readonly ahead = new Map<number, { req: Element; res: Responder; units: number }>();
  /** The last responses by rid, for repeated requests. */
  private readonly sent = new Map<number, string>();
  private out: string[] = [];
  private outBytes = 0;
  private flushing = false;
  private opened = false;
  /** Set once the stream is over: the last answer, for every later request. */
  private final: string | undefined;
  /** Why the session failed (a BOSH-level error), for the terminal body. */
  private failure: TerminalCondition | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private goneTimer: NodeJS.Timeout | undefined;
  /** Polling sessions (hold 0): when the last empty request came, and whether its answer was empty. */
  private lastEmptyPoll = 0;
  private lastAnswerEmpty = false;

  constructor(opts: BoshSessionOptions) {
    this.opts = opts;
    this.sid = opts.sid;
    this.kind = opts.kind;
    this.secure = opts.secure;
    this.remotePort = opts.remotePort;
    this.secureAlternative = opts.secureAlternative;
    this.requests = opts.hold + 1;
  }

  // --- StreamTransport ------------------------------------------------------

  attach(conn: Connection): void {
    this.conn = conn;
  }

  tlsSocket(): TLSSocket | undefined {
    // A stream spans many HTTP connections: nothing to bind a channel to (no -PLUS).
    return undefined;
  }

  get pendingOutput(): number {
    return this.outBytes;
  }

  get gone(): boolean {
    return this.final !== undefined;
  }

  get ended(): boolean {
    return this.final !== undefined;
  }

  openStream(header: HeaderInfo, features: string): void {
    if (this.opened) {
      // A restart (xmpp:restart): the new stream's features are the answer.
      this.write(features);
      return;
    }
    this.opened = true;
    const creation = this.held.shift();
    if (creation === undefined) return;
    const o = this.opts;
    // XEP-0124 section 7.1, XEP-0206 section 5 (wait and inactivity in seconds).
    const attrs = {
      sid: this.sid,
      wait: Math.round(o.waitMs / 1000),
      inactivity: Math.max(1, Math.round(o.inactivityMs / 1000)),
      polling: Math.round(o.pollingMs / 1000),
      requests: this.requests,
      hold: o.hold,
      ...(o.maxPauseMs > 0 && { maxpause: Math.round(o.maxPauseMs / 1000) }),
      ver: BOSH_VERSION,
      from: header.domain,
      'xml:lang': header.lang,
      'xmpp:version': '1.0',
      'xmpp:restartlogic': 'true',
    };
    this.answer(creation, body(attrs, payloadElement(features)));
  }

  write(xml: string): void {
    if (this.final !== undefined) return;
    const framed = payloadElement(xml);
    this.out.push(framed);
    this.outBytes += framed.length;
    this.scheduleFlush();
  }

  closeStream(info: CloseInfo): void {
    if (this.final !== undefined) return;
    let condition: TerminalCondition | undefined = this.failure;
    let extra = '';
    if (info.seeOtherUri !== undefined) {
      condition = 'see-other-uri';
      extra = `<uri>${escapeAttr(info.seeOtherUri)}</uri>`;
    } else if (info.error !== undefined) {
      // XEP-0206 section 7: a stream error travels inside a terminal body.
      condition ??= 'remote-stream-error';
      extra = payloadElement(info.error);
    }
    this.end(terminate(condition, this.takeOut() + extra));
  }

  keepalive(): boolean {
    // Liveness is the inactivity timer: a client always has a request held or comes back soon.
    return true;
  }

  pause(): void {
    // The connection queues what arrives while it is busy; a throttled connection holds requests (handle).
  }

  /** The connection reads again (done with an asynchronous step, or no longer throttled). */
  resume(): void {
    if (this.ahead.size > 0) this.processWaiting();
  }

  destroy(): void {
    this.end(terminate(this.failure ?? 'remote-connection-failed', this.takeOut()));
  }

  // --- requests ---------------------------------------------------------------

  /** The session creation request: held until the connection opens the stream. */
  create(req: Element, res: Responder): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.lastRid = parseRid(req.attr('rid')) ?? 0;
    this.held.push({ rid: this.lastRid, res, timer: undefined });
    this.streamOpen(conn, req.attr('to') ?? this.opts.to, xboshAttr(req, 'version'));
    // Neither opened nor closed (cannot happen): do not leave the client waiting.
    if (!this.opened && this.final === undefined) this.fail('internal-server-error');
  }

  /** Any later request of this session; `units`: the length of its text (UTF-16 code units). */
  handle(req: Element, res: Responder, units = Infinity): void {
    if (this.final !== undefined) {
      res.respond(this.final);
      return;
    }
    const rid = parseRid(req.attr('rid'));
    if (rid === undefined) {
      this.fail('bad-request', res, 'missing or invalid rid');
      return;
    }
    if (rid <= this.lastRid) {
      this.repeated(rid, res);
      return;
    }
    if (rid > this.lastRid + this.requests) {
      this.fail('item-not-found', res, `rid ${rid} is beyond the window after ${this.lastRid}`);
      return;
    }
    const last = req.attr('type') === 'terminate' || req.attr('pause') !== undefined;
    const waiting = this.held.length + this.ahead.size + (this.ahead.has(rid) ? 0 : 1);
    if (waiting > this.requests + (last ? 1 : 0)) {
      // XEP-0124 section 11: more simultaneous requests than 'requests'.
      this.fail('policy-violation', res, `more than ${this.requests} simultaneous requests`);
      return;
    }
    this.clearIdle();
    if (rid !== this.lastRid + 1 || this.conn?.throttled === true) {
      const before = this.ahead.get(rid);
      before?.res.abandon();
      this.ahead.set(rid, { req, res, units });
      this.opts.logger.debug(
        rid === this.lastRid + 1
          ? 'BOSH request waits for the shaper'
          : 'BOSH request ahead of its turn',
        { sid: this.sid, rid },
      );
      return;
    }
    this.process(rid, req, res, units);
    this.processWaiting();
  }

  /** The requests that waited for the ones before them, or for the shaper, in rid order. */
  private processWaiting(): void {
    for (let next = this.ahead.get(this.lastRid + 1); next !== undefined;) {
      if (this.final === undefined && this.conn?.throttled === true) return;
      this.ahead.delete(this.lastRid + 1);
      if (this.final !== undefined) {
        next.res.respond(this.final);
      } else {
        this.process(this.lastRid + 1, next.req, next.res, next.units);
      }
      next = this.ahead.get(this.lastRid + 1);
    }
  }

  /** A rid already received: the new connection replaces the old (XEP-0124 section 14.3). */
  private repeated(rid: number, res: Responder): void {
    const held = this.held.find((h) => h.rid === rid);
    if (held !== undefined) {
      held.res.abandon();
      held.res = res;
      return;
    }
    const cached = this.sent.get(rid);
    if (cached !== undefined) {
      res.respond(cached);
      return;
    }
    this.fail('item-not-found', res, `rid ${rid} was answered too long ago`);
  }

  private process(rid: number, req: Element, res: Responder, units: number): void {
    const conn = this.conn!;
    this.lastRid = rid;
    const now = Date.now();
    conn.lastRead = now;
    if (conn.shaper !== undefined && Number.isFinite(units)) conn.shaper.bytes(units, now);
    const children = req.getChildElements();
    const pause = parseSeconds(req.attr('pause'));
    if (pause !== undefined && this.opts.maxPauseMs > 0) {
      // XEP-0124 section 10: answer everything now (the pause request itself
      // without payload), then allow a longer silence.
      for (const child of children) {
        if (this.final !== undefined || !conn.open) break;
        this.feed(conn, req, child, units);
      }
      if (this.final !== undefined) {
        res.respond(this.final);
        return;
      }
      this.releaseAll();
      this.answer({ rid, res, timer: undefined }, EMPTY_BODY);
      this.startIdle(Math.min(pause * 1000, this.opts.maxPauseMs));
      return;
    }
    if (this.opts.hold === 0 && children.length === 0 && req.attr('type') === undefined) {
      // XEP-0124 section 12: a polling session may not poll faster than 'polling'.
      if (this.lastAnswerEmpty && now - this.lastEmptyPoll < this.opts.pollingMs) {
        this.fail('policy-violation', res, 'polling too often');
        return;
      }
      this.lastEmptyPoll = now;
    }
    if (xboshAttr(req, 'restart') === 'true') {
      this.streamOpen(conn, req.attr('to') ?? this.opts.to, '1.0', req.attr('xml:lang'));
    }
    for (const child of children) {
      if (this.final !== undefined || !conn.open) break;
      this.feed(conn, req, child, units);
    }
    this.hold(rid, res);
    if (req.attr('type') === 'terminate' && this.final === undefined) {
      // The client closes its stream; the connection answers with ours (closeStream).
      try {
        conn.streamClose();
      } catch (err) {
        conn.fail(err);
      }
    }
  }

  /** The stream header, as RFC 7395 `<open/>` (checked by the connection like any other). */
  private streamOpen(conn: Connection, to: string, version?: string, lang?: string): void {
    const attrs: Record<string, string> = { xmlns: FRAMING_NS, to };
    if (version !== undefined) attrs['version'] = version;
    const l = lang ?? this.opts.lang;
    if (l !== undefined) attrs['xml:lang'] = l;
    if (this.opts.from !== undefined) attrs['from'] = this.opts.from;
    try {
      conn.streamOpen({ name: 'open', attrs });
    } catch (err) {
      conn.fail(err);
    }
  }

  /** One element of the body, made standalone, to the connection (as one WebSocket message would be). */
  private feed(conn: Connection, req: Element, child: Element, units: number): void {
    child.parent = undefined;
    const own = child.attr('xmlns');
    if (!child.name.includes(':') && (own === undefined || own === NS_HTTPBIND)) {
      // XEP-0206 section 8: stanzas qualified by the body's namespace are jabber:client.
      child.attrs['xmlns'] = NS_CLIENT;
    }
    for (const [name, value] of Object.entries(req.attrs)) {
      if (name.startsWith('xmlns:') && child.attr(name) === undefined) child.attrs[name] = value;
    }
    const limit = conn.framer.limits.maxStanzaBytes;
    // A body that cannot hold an element over the limit (3 UTF-8 bytes per code unit at most) is not measured.
    if (units * 3 > limit && Buffer.byteLength(child.toString()) > limit) {
      conn.closeStream('policy-violation', `an element exceeds the size limit of ${limit} bytes`);
      return;
    }
    try {
      conn.stanza(child);
    } catch (err) {
      conn.fail(err);
    }
  }

  // --- holding and answering ---------------------------------------------------

  private hold(rid: number, res: Responder): void {
    if (this.final !== undefined) {
      res.respond(this.final);
      return;
    }
    const entry: Held = { rid, res, timer: undefined };
    entry.timer = setTimeout(() => this.expire(entry), this.opts.waitMs);
    entry.timer.unref();
    this.held.push(entry);
    this.opts.logger.debug('BOSH request held', { sid: this.sid, rid });
    // Over 'hold': the oldest goes back now, with whatever is waiting (XEP-0124 section 9).
    while (this.held.length > this.opts.hold) this.answer(this.held.shift()!, this.takeBody());
    if (this.out.length > 0) this.scheduleFlush();
  }

  /** 'wait' is over for a held request: it goes back (empty, or with output not flushed yet). */
  private expire(entry: Held): void {
    const i = this.held.indexOf(entry);
    if (i === -1 || this.final !== undefined) return;
    this.held.splice(i, 1);
    this.answer(entry, i === 0 ? this.takeBody() : EMPTY_BODY);
  }

  private scheduleFlush(): void {
    if (this.flushing || this.held.length === 0) return;
    this.flushing = true;
    // Everything written in this event-loop turn goes into one response.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = false;
    if (this.final !== undefined || this.out.length === 0) return;
    const entry = this.held.shift();
    if (entry !== undefined) this.answer(entry, this.takeBody());
  }

  private releaseAll(): void {
    const held = this.held;
    this.held = [];
    held.forEach((h, i) => this.answer(h, i === 0 ? this.takeBody() : EMPTY_BODY));
  }

  private takeOut(): string {
    const payload = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    return payload;
  }

  private takeBody(): string {
    return this.out.length === 0 ? EMPTY_BODY : body({}, this.takeOut());
  }

  private answer(entry: Held, text: string): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.lastAnswerEmpty = text === EMPTY_BODY;
    this.sent.set(entry.rid, text);
    // Keep the responses a client may still ask for again: the last 'requests' rids.
    for (const rid of this.sent.keys()) {
      if (rid > this.lastRid - this.requests) break;
      this.sent.delete(rid);
    }
    try {
      entry.res.respond(text);
    } catch (err) {
      this.opts.logger.warn('BOSH response failed', { sid: this.sid, err });
    }
    if (this.held.length === 0 && this.final === undefined) this.startIdle(this.opts.inactivityMs);
  }

  // --- the end --------------------------------------------------------------------

  /**
   * A BOSH-level error (bad rid, overactivity): this request gets the terminal
   * body, the stream is closed, the session is over.
   */
  private fail(condition: TerminalCondition, res?: Responder, reason?: string): void {
    this.opts.logger.info('BOSH session terminated', {
      sid: this.sid,
      condition,
      ...(reason !== undefined && { reason }),
      ...(this.conn?.jid !== undefined && { jid: this.conn.jid }),
    });
    this.failure = condition;
    if (res !== undefined) this.held.push({ rid: 0, res, timer: undefined });
    const conn = this.conn;
    if (conn !== undefined && conn.open) conn.closeStream();
    else this.destroy();
  }

  /** The stream is over: every waiting request gets an answer, the last one `final`. */
  private end(final: string): void {
    if (this.final !== undefined) return;
    this.final = final;
    this.clearIdle();
    const held = this.held;
    this.held = [];
    held.forEach((h, i) => this.answer(h, i === held.length - 1 ? final : EMPTY_BODY));
    for (const { res } of this.ahead.values()) res.respond(final);
    this.ahead.clear();
    this.goneTimer = setTimeout(() => this.opts.onGone(this), TOMBSTONE_MS);
    this.goneTimer.unref();
    const conn = this.conn;
    // As a socket would: 'closed' comes after the last write.
    if (conn !== undefined) setImmediate(() => conn.onSocketClosed());
  }

  /** Drops the session from the table now (gateway shutdown). */
  forget(): void {
    if (this.goneTimer !== undefined) clearTimeout(this.goneTimer);
    this.clearIdle();
  }

  private startIdle(ms: number): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => this.idle(), ms);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** No request for 'inactivity': the client is gone, as a dropped TCP connection. */
  private idle(): void {
    this.idleTimer = undefined;
    if (this.final !== undefined || this.held.length > 0) return;
    this.opts.logger.info('BOSH session inactive; dropping the connection', {
      sid: this.sid,
      ...(this.conn?.jid !== undefined && { jid: this.conn.jid }),
    });
    // A later request of this client is answered as for a session that does not exist (section 8).
    this.failure = 'item-not-found';
    if (this.conn !== undefined) this.conn.destroy();
    else this.destroy();
  }
}
