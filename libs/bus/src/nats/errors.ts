import {
  ClosedConnectionError,
  DrainingConnectionError,
  InvalidSubjectError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { BusError } from '../bus.js';

/** The error and the errors it wraps (`cause` chain), outermost first. */
function* causes(err: unknown): Generator<unknown> {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur !== undefined && cur !== null; depth++) {
    yield cur;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
}

function isNoResponders(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof NoRespondersError) return true;
    if (e instanceof RequestError && e.isNoResponders()) return true;
  }
  return false;
}

/** JetStream API "not found" errors, by code (the client's own error classes are internal). */
export function isConsumerNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;
}

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Maps a NATS client error of a core request/publish to a {@link BusError}. */
export function toBusError(err: unknown, subject: string): BusError {
  if (err instanceof BusError) return err;
  if (isNoResponders(err)) {
    return new BusError('no-responders', `no responders for ${subject}`, { cause: err });
  }
  for (const e of causes(err)) {
    if (e instanceof TimeoutError) {
      return new BusError('timeout', `request to ${subject} timed out`, { cause: err });
    }
    if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
      return new BusError('closed', 'bus is closed', { cause: err });
    }
    if (e instanceof InvalidSubjectError) {
      return new BusError('bad-subject', `invalid subject: ${subject}`, { cause: err });
    }
  }
  // Anything else (a disconnect while the request was in flight, ...): the
  // caller saw no reply in time, which is what `timeout` tells it.
  const msg = err instanceof Error ? err.message : String(err);
  return new BusError('timeout', `request to ${subject} failed: ${msg}`, { cause: err });
}

/** JetStream API error codes that mean "try again later". */
const RETRIABLE_API_CODES = new Set([
  10008, // JetStream temporarily unavailable
  10059, // stream not found (being restored after a restart, or re-created by ensureStream)
  10076, // JetStream not enabled (a server still starting)
  10039, // JetStream not enabled for the account (same, seen during startup)
]);

/**
 * Whether a failed JetStream publish may succeed if retried with the same
 * message id: timeouts, no responders (JetStream not ready yet), a dropped
 * connection, and temporary JetStream errors. Rejections of the message
 * itself (too large, bad subject, closed client) are final.
 */
export function isRetriablePublishError(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) return false;
    if (e instanceof InvalidSubjectError) return false;
  }
  if (isNoResponders(err)) return true;
  for (const e of causes(err)) {
    if (e instanceof TimeoutError) return true;
    // JetStreamNotEnabled: thrown for "no responders" (its cause, handled above) on publish.
    if (e instanceof Error && e.name === 'JetStreamNotEnabled') return true;
    if (e instanceof JetStreamApiError) {
      return e.status === 503 || RETRIABLE_API_CODES.has(e.code);
    }
    if (e instanceof RequestError) return true; // "connection disconnected" and the like
  }
  return false;
}
