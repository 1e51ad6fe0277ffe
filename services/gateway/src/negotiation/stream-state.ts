/**
 * The one owner of a client connection's negotiation state. Every step
 * (STARTTLS, SASL, SASL2, resource binding, Bind2, stream resumption,
 * closing) moves the state only through an event of TRANSITIONS; an event
 * that is not allowed in the current state is a bug in the gateway, never
 * the client's doing (client input is checked before any transition), and
 * the connection fails with internal-server-error (see Connection.transition).
 *
 *   negotiating   stream open, before authentication (STARTTLS, SASL, SASL2, XEP-0077)
 *   tls-handshake <proceed/> sent, TLS handshake running
 *   authenticated SASL succeeded, no resource bound yet
 *   binding       bind (or resumption) request in flight on the bus
 *   bound         stanzas flow
 *   closing       our end of the stream is written, waiting for the socket to close
 *   closed
 */

export type ConnectionState =
  'negotiating' | 'tls-handshake' | 'authenticated' | 'binding' | 'bound' | 'closing' | 'closed';

/** What happened to the stream. */
export type StreamEvent =
  /** <proceed/> written: the TLS handshake starts. */
  | 'starttls'
  /** The TLS handshake completed: negotiation starts again on the encrypted stream. */
  | 'tls-established'
  /** A SASL (or SASL2) exchange succeeded. */
  | 'authenticated'
  /** A bind (RFC 6120, Bind2) or a resumption (XEP-0198) was asked of the registry. */
  | 'bind-requested'
  /** The registry refused the bind, or the resumption failed: back to authenticated. */
  | 'bind-failed'
  /** The registry bound the resource (or the session was resumed). */
  | 'bound'
  /** Our end of the stream is closing (error, client close, lost socket). */
  | 'close'
  /** The socket has closed. */
  | 'closed';

const OPEN: readonly ConnectionState[] = [
  'negotiating',
  'tls-handshake',
  'authenticated',
  'binding',
  'bound',
];

/** The allowed transitions: for each event, the states it may happen in and the state it leads to. */
export const TRANSITIONS: Readonly<
  Record<StreamEvent, { readonly from: readonly ConnectionState[]; readonly to: ConnectionState }>
> = {
  starttls: { from: ['negotiating'], to: 'tls-handshake' },
  'tls-established': { from: ['tls-handshake'], to: 'negotiating' },
  authenticated: { from: ['negotiating'], to: 'authenticated' },
  'bind-requested': { from: ['authenticated'], to: 'binding' },
  'bind-failed': { from: ['binding'], to: 'authenticated' },
  bound: { from: ['binding'], to: 'bound' },
  close: { from: OPEN, to: 'closing' },
  closed: { from: [...OPEN, 'closing'], to: 'closed' },
};

/** The state `event` leads to from `state`, or undefined when it is not allowed there. */
export function nextState(state: ConnectionState, event: StreamEvent): ConnectionState | undefined {
  const t = TRANSITIONS[event];
  return t.from.includes(state) ? t.to : undefined;
}

/** A transition the table does not allow: a bug in the gateway. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly state: ConnectionState,
    readonly event: StreamEvent,
  ) {
    super(`stream event '${event}' is not allowed in state '${state}'`);
  }
}

/** Holds one connection's state; only `apply` changes it. */
export class StreamState {
  private current: ConnectionState = 'negotiating';

  get state(): ConnectionState {
    return this.current;
  }

  /** Moves to the state `event` leads to; throws IllegalTransitionError (and changes nothing) when not allowed. */
  apply(event: StreamEvent): ConnectionState {
    const next = nextState(this.current, event);
    if (next === undefined) throw new IllegalTransitionError(this.current, event);
    this.current = next;
    return next;
  }
}
