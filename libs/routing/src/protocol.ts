/**
 * The bus protocol version: every message object a process sends carries
 * `v`, the version it was written in, and every consumer checks it (with the
 * message's type and schema, see catalogue.ts) before acting on it.
 *
 * Rules that let two adjacent releases run side by side in a rolling
 * upgrade:
 *
 * - a message without `v` is version 1 (what releases before versioning send);
 * - a release writes {@link BUS_PROTOCOL_VERSION} and reads every version from
 *   {@link BUS_PROTOCOL_MIN_VERSION} to {@link BUS_PROTOCOL_MAX_VERSION};
 * - within a version, changes are additive only: a new optional field, or a
 *   new message type (which an older reader rejects as `unknown-type`,
 *   logged and counted, so a new type is used only once every reader knows
 *   it);
 * - a breaking change takes two releases: the first reads the new version
 *   (MAX + 1) and still writes the old one, the second writes it; the oldest
 *   version is dropped (MIN + 1) only in a release after nobody writes it.
 */
import type { Bus, BusPayload } from '@parley/bus';
import type { MessageFamily } from './catalogue.js';

/** The version this release writes. */
export const BUS_PROTOCOL_VERSION = 2;
/** The oldest version this release still reads (1: messages without `v`). */
export const BUS_PROTOCOL_MIN_VERSION = 1;
/** The newest version this release reads (above the written one only in a release preparing the next). */
export const BUS_PROTOCOL_MAX_VERSION = 2;
/** The version of a message that has no `v` field: what the releases before versioning send. */
export const UNVERSIONED = 1;

export type RejectReason = 'unknown-type' | 'unsupported-version' | 'invalid';

export type Decoded<M> =
  | { ok: true; msg: M; v: number }
  | {
      ok: false;
      reason: RejectReason;
      /** The message's `t` as sent ('' when it had none or it was not a string). */
      type: string;
      /** The message's version, or undefined when `v` was not an integer. */
      v: number | undefined;
      /** What was wrong, for the log. */
      detail: string;
    };

/** The version a payload claims: `UNVERSIONED` when it has no `v`, undefined when `v` is not a positive integer. */
export function versionOf(data: BusPayload): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const v = (data as { v?: unknown }).v;
  if (v === undefined) return UNVERSIONED;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * The payload as this release sends it: a message object gets `v`
 * (a shallow copy; the caller's object is left alone). Anything else (a
 * string, an array) is returned as it is.
 */
export function stamp<T extends BusPayload>(data: T): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  if ((data as { v?: unknown }).v === BUS_PROTOCOL_VERSION) return data;
  const out: Record<string, unknown> = { v: BUS_PROTOCOL_VERSION, ...(data as object) };
  out.v = BUS_PROTOCOL_VERSION; // a forwarded message of an older version is re-stamped
  return out as T;
}

/**
 * Stamps a message object the caller has just made (and nobody else holds)
 * with this release's version in place, so publishing it through the
 * versioned bus costs no copy (see {@link stamp}). For the messages made on
 * every routed stanza.
 */
export function versioned<T extends object>(fresh: T): T {
  (fresh as { v?: number }).v = BUS_PROTOCOL_VERSION;
  return fresh;
}

/**
 * Checks a payload against the family of its consumer: a supported
 * version, a known type, the fields that type requires.
 */
export function decodeBusMessage<M>(family: MessageFamily<M>, data: BusPayload): Decoded<M> {
  const raw = (typeof data === 'object' && data !== null ? data : {}) as {
    t?: unknown;
    v?: unknown;
  };
  const type = family.fixedType ?? (typeof raw.t === 'string' ? raw.t : '');
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, reason: 'invalid', type, v: undefined, detail: 'not an object' };
  const v = versionOf(data);
  if (v === undefined)
    return { ok: false, reason: 'invalid', type, v, detail: 'v: expected a positive integer' };
  if (v < BUS_PROTOCOL_MIN_VERSION || v > BUS_PROTOCOL_MAX_VERSION) {
    const detail = `version ${v}; this release reads ${BUS_PROTOCOL_MIN_VERSION} to ${BUS_PROTOCOL_MAX_VERSION}`;
    return { ok: false, reason: 'unsupported-version', type, v, detail };
  }
  if (family.fixedType === undefined && typeof raw.t !== 'string')
    return { ok: false, reason: 'invalid', type, v, detail: 't: expected a string' };
  const schema = Object.hasOwn(family.schemas, type) ? family.schemas[type] : undefined;
  if (schema === undefined)
    return {
      ok: false,
      reason: 'unknown-type',
      type,
      v,
      detail: `no ${family.name} message '${type}'`,
    };
  const error = schema(data);
  if (error !== undefined) return { ok: false, reason: 'invalid', type, v, detail: error };
  return { ok: true, msg: data as M, v };
}

/**
 * The bus as this release writes to it: every message object published,
 * published durably or sent as a request carries `v`. Subscriptions and
 * consumers are the underlying bus's (decoding is the consumer's, with
 * `BusProtocol.decode`); replies are stamped by whoever answers
 * (`BusProtocol.respond`). Wrapping twice is harmless.
 */
export function versionedBus(bus: Bus): Bus {
  if ((bus as Partial<VersionedBus>)[VERSIONED] === true) return bus;
  const wrapped: VersionedBus = {
    [VERSIONED]: true,
    publish: (subject, data) => bus.publish(subject, stamp(data)),
    publishDurable: (subject, data) => bus.publishDurable(subject, stamp(data)),
    request: (subject, data, opts) => bus.request(subject, stamp(data), opts),
    subscribe: (subject, handler, opts) => bus.subscribe(subject, handler, opts),
    consumeOrdered: (filter, name, handler) => bus.consumeOrdered(filter, name, handler),
    flush: () => bus.flush(),
    close: () => bus.close(),
  };
  return wrapped;
}

const VERSIONED = Symbol('parley.versionedBus');
interface VersionedBus extends Bus {
  readonly [VERSIONED]: true;
}
