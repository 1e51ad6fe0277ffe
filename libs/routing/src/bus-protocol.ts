/**
 * What a consumer does with a bus message it does not understand (an
 * unknown type, an unsupported version, a message that fails its schema):
 * never drop it silently. It is
 *
 * - counted: `parley_bus_messages_rejected_total{family,reason,type}`;
 * - logged at warn, at most once a minute per family, reason and type (with
 *   the version, the subject and how many were not logged since);
 * - answered, when it is a request: `{ ok: false, condition, text }`
 *   (`feature-not-implemented` for an unknown type or version,
 *   `bad-request` for an invalid message), so the requester fails at once
 *   instead of waiting for its timeout.
 *
 * What else happens to a stanza in it is the consumer's choice (a gateway
 * bounces a delivery it cannot read back to the registry; see
 * `undeliveredStanza`).
 */
import type { BusMessage, BusPayload } from '@parley/bus';
import type { Envelope } from './envelope.js';
import type { MessageFamily } from './catalogue.js';
import { envelopeSchema } from './catalogue.js';
import type { Decoded, RejectReason } from './protocol.js';
import { decodeBusMessage, stamp } from './protocol.js';

/** The part of @parley/telemetry's Metrics used here. */
export interface ProtocolMetrics {
  counter(
    name: string,
    help: string,
    labelNames?: readonly string[],
  ): { inc(labels: Partial<Record<string, string | number>>, value?: number): void };
}

/** The part of @parley/telemetry's Logger used here. */
export interface ProtocolLogger {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface BusProtocolOptions {
  metrics: ProtocolMetrics;
  logger: ProtocolLogger;
  /** Least time between two log lines for the same family, reason and type (default 60 s). */
  logIntervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export const REJECTED_METRIC = 'bus_messages_rejected_total';

/** The error condition a rejected request is answered with. */
export function rejectCondition(reason: RejectReason): 'feature-not-implemented' | 'bad-request' {
  return reason === 'invalid' ? 'bad-request' : 'feature-not-implemented';
}

const MAX_LOG_KEYS = 1024;

export class BusProtocol {
  private readonly rejected: ReturnType<ProtocolMetrics['counter']>;
  private readonly logger: ProtocolLogger;
  private readonly interval: number;
  private readonly now: () => number;
  /** Per family/reason/type: when it was last logged and how many went unlogged since. */
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(opts: BusProtocolOptions) {
    this.rejected = opts.metrics.counter(
      REJECTED_METRIC,
      'Bus messages a consumer did not understand (unknown type, unsupported version, invalid), by consumer family, reason and type.',
      ['family', 'reason', 'type'],
    );
    this.logger = opts.logger;
    this.interval = opts.logIntervalMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The message, checked against its consumer's family; undefined when it
   * was rejected (then it has been counted, logged and, if a request,
   * answered).
   */
  decode<M>(family: MessageFamily<M>, msg: BusMessage): M | undefined {
    const d = decodeBusMessage(family, msg.data);
    if (d.ok) return d.msg;
    this.reject(family, msg, d);
    return undefined;
  }

  /** Answers a request with a reply that carries this release's version. */
  respond(msg: Pick<BusMessage, 'respond'>, reply: BusPayload): void {
    msg.respond?.(stamp(reply));
  }

  private reject<M>(
    family: MessageFamily<M>,
    msg: BusMessage,
    d: Extract<Decoded<M>, { ok: false }>,
  ): void {
    const type = typeLabel(d.type);
    this.rejected.inc({ family: family.name, reason: d.reason, type });
    const key = `${family.name}\u0000${d.reason}\u0000${type}`;
    const now = this.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last.at < this.interval) {
      last.suppressed++;
    } else {
      if (this.logged.size >= MAX_LOG_KEYS && last === undefined) this.logged.clear();
      this.logged.set(key, { at: now, suppressed: 0 });
      this.logger.warn('bus message not understood', {
        family: family.name,
        reason: d.reason,
        type: d.type,
        version: d.v,
        subject: msg.subject,
        detail: d.detail,
        request: msg.respond !== undefined,
        ...(last !== undefined && last.suppressed > 0 && { notLoggedSince: last.suppressed }),
      });
    }
    if (msg.respond !== undefined) {
      this.respond(msg, {
        ok: false,
        condition: rejectCondition(d.reason),
        text: `bus protocol: ${d.reason} (${family.name} message '${d.type}', version ${d.v ?? '?'})`,
      });
    }
  }
}

/** A bounded metric label for a type as sent: unknown types from a peer must not grow the series without limit. */
function typeLabel(type: string): string {
  if (type === '') return 'none';
  return /^[a-z][a-z0-9-]{0,39}$/.test(type) ? type : 'other';
}

/**
 * The stanza of a `deliver` that could not be accepted (unsupported
 * version, invalid), when its envelope is still readable: the consumer
 * bounces it to the recipient's partition instead of losing it. Undefined
 * for anything else (an unknown type is not presumed to be a delivery).
 */
export function undeliveredStanza(
  data: BusPayload,
): { env: Envelope; conn?: string; jid?: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as { t?: unknown; env?: unknown; conn?: unknown; jid?: unknown };
  if (m.t !== 'deliver' || envelopeSchema(m.env) !== undefined) return undefined;
  const out: { env: Envelope; conn?: string; jid?: string } = { env: m.env as Envelope };
  if (typeof m.conn === 'string') out.conn = m.conn;
  if (typeof m.jid === 'string') out.jid = m.jid;
  return out;
}
