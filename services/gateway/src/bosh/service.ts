/**
 * The BOSH sessions of one gateway: creation, the session table, and where
 * each request goes. A request names its session by `sid`, which names the
 * gateway holding it (sid.ts): ours is handled here, another gateway's is
 * forwarded to it over the bus (forward.ts), so a cluster needs no sticky
 * load balancing. See docs/bosh.md.
 */
import type { Bus, Subscription } from '@parley/bus';
import type { Config } from '@parley/config';
import { normalizeDomain } from '@parley/jid';
import type { BusProtocol } from '@parley/routing';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { ClientAddress } from '../proxy/gate.js';
import type { StreamTransport } from '../transport/transport.js';
import type { WebSocketPorts } from '../websocket/host-meta.js';
import { forwardRequest, serveForwarded } from './forward.js';
import { BoshRequestError, parseRequest, parseRid, parseSeconds, terminate } from './protocol.js';
import type { TerminalCondition } from './protocol.js';
import { BoshSession } from './session.js';
import type { Responder } from './session.js';
import { newSid, sidOwner } from './sid.js';
import { secureBoshUrl } from './urls.js';

export interface BoshClient {
  ip: string;
  port: number | undefined;
  /** Came in on the TLS (https://) listener (the `boshs` transport label). */
  tls: boolean;
  /** Reached us over TLS (https://), or over http:// declared secure (websocket.plainIsSecure). */
  secure: boolean;
  /** The host the client asked for (Host header), when plausible. */
  host: string | undefined;
  /** Came from another gateway of the cluster (never forwarded again). */
  forwarded: boolean;
}

export interface BoshServiceDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The gateway's (versioned) bus. */
  bus: Bus;
  protocol: BusProtocol;
  gatewayId: string;
  ports: WebSocketPorts;
  /**
   * Hands a new stream to the gateway (per-address limits, connection
   * table): it attaches a Connection to the transport, or (while closing)
   * destroys the transport.
   */
  admit(client: ClientAddress, transport: StreamTransport): void;
}

export class BoshService {
  private readonly sessions = new Map<string, BoshSession>();
  private readonly domains: ReadonlySet<string>;
  private subscription: Subscription | undefined;
  private readonly requests: ReturnType<Metrics['counter']>;

  constructor(private readonly deps: BoshServiceDeps) {
    this.domains = new Set(deps.config.server.domains.map((d) => normalizeDomain(d)));
    this.requests = deps.metrics.counter(
      'bosh_requests_total',
      'BOSH requests by route: local (a session held here, or a new one), forwarded (to the gateway holding the session), from-gateway (forwarded here by another gateway), refused (answered with a terminal error before reaching a session).',
      ['route'],
    );
    for (const route of ['local', 'forwarded', 'from-gateway', 'refused']) {
      this.requests.inc({ route }, 0);
    }
  }

  /** Takes the requests other gateways forward for our sessions. */
  async start(): Promise<void> {
    this.subscription = await serveForwarded(this.deps, (text, client, res) =>
      this.handle(text, client, res),
    );
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** One request body, from HTTP or forwarded by another gateway. */
  handle(text: string, client: BoshClient, res: Responder): void {
    let req: Element;
    try {
      req = parseRequest(text, this.deps.config.bosh.maxRequestBytes);
    } catch (err) {
      this.refuse(
        res,
        err instanceof BoshRequestError ? err.condition : 'bad-request',
        client,
        err,
      );
      return;
    }
    const sid = req.attr('sid');
    if (sid === undefined) {
      this.create(req, client, res);
      return;
    }
    const session = this.sessions.get(sid);
    if (session !== undefined) {
      this.requests.inc({ route: client.forwarded ? 'from-gateway' : 'local' });
      session.handle(req, res, text.length);
      return;
    }
    const owner = sidOwner(sid);
    if (owner !== undefined && owner !== this.deps.gatewayId && !client.forwarded) {
      this.requests.inc({ route: 'forwarded' });
      forwardRequest(this.deps, owner, text, client, res);
      return;
    }
    this.refuse(res, 'item-not-found', client, 'unknown sid');
  }

  private create(req: Element, client: BoshClient, res: Responder): void {
    const { config, logger } = this.deps;
    this.requests.inc({ route: 'local' });
    const bosh = config.bosh;
    const to = req.attr('to');
    if (parseRid(req.attr('rid')) === undefined || to === undefined) {
      this.refuse(res, 'bad-request', client, "a session request needs 'rid' and 'to'");
      return;
    }
    if (!this.serves(to)) {
      this.refuse(res, 'host-unknown', client, `not served here: ${to}`);
      return;
    }
    // The client's wishes, within our limits (XEP-0124 section 7.1).
    const wait = parseSeconds(req.attr('wait'));
    const hold = parseSeconds(req.attr('hold'));
    const waitMs = Math.min(wait === undefined ? bosh.maxWaitMs : wait * 1000, bosh.maxWaitMs);
    const session: BoshSession = new BoshSession({
      sid: newSid(this.deps.gatewayId),
      kind: client.tls ? 'boshs' : 'bosh',
      secure: client.secure,
      remotePort: client.port,
      secureAlternative:
        !client.secure && config.c2s.requireTls
          ? secureBoshUrl(config, this.deps.ports, client.host)
          : undefined,
      to,
      lang: req.attr('xml:lang'),
      from: req.attr('from'),
      waitMs: Math.max(waitMs, 1000),
      hold: Math.min(hold ?? 1, bosh.maxHold),
      inactivityMs: bosh.maxInactivityMs,
      maxPauseMs: bosh.maxPauseMs,
      pollingMs: bosh.pollingMs,
      logger,
      onGone: (s) => {
        if (this.sessions.get(s.sid) === s) this.sessions.delete(s.sid);
      },
    });
    // Counted as an unauthenticated connection of its address until SASL success.
    this.deps.admit({ ip: client.ip, port: client.port }, session);
    if (session.conn === undefined) {
      // The gateway is closing.
      res.respond(terminate('system-shutdown'));
      return;
    }
    this.sessions.set(session.sid, session);
    logger.debug('BOSH session created', {
      sid: session.sid,
      conn: session.conn.id,
      ip: client.ip,
    });
    session.create(req, res);
  }

  private serves(to: string): boolean {
    try {
      return this.domains.has(normalizeDomain(to));
    } catch {
      return false;
    }
  }

  private refuse(
    res: Responder,
    condition: TerminalCondition,
    client: BoshClient,
    why: unknown,
  ): void {
    this.requests.inc({ route: 'refused' });
    this.deps.logger.info('BOSH request refused', {
      ip: client.ip,
      condition,
      reason: why instanceof Error ? why.message : String(why),
    });
    res.respond(terminate(condition));
  }

  /** The gateway is stopping: its connections are closed (which ends the sessions); forget them. */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    for (const s of this.sessions.values()) s.forget();
    this.sessions.clear();
  }
}
