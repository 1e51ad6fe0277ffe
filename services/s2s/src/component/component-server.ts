/**
 * The XEP-0114 component listener (`jabber:component:accept`) on
 * components.host:components.port.
 *
 * A component opens a stream to its own domain, we answer with a header
 * carrying a random stream id, it proves the shared secret with
 * `<handshake>hex(sha1(id + secret))</handshake>` and we answer
 * `<handshake/>` (see component-connection.ts for the states and errors).
 *
 * Choices:
 * - one connection per domain on a node: a second one that completes the
 *   handshake while the first is connected is refused with `conflict`
 *   (Prosody's behaviour; ejabberd lets several share the load). The check
 *   comes after the handshake, so only a holder of the secret learns that
 *   the component is connected. TCP keepalive is on so that a dead
 *   component's connection goes away and the component can come back.
 * - `from` must be at the component's own domain exactly (XEP-0114: "the
 *   domain identifier portion of the JID contained in the 'from' attribute
 *   MUST match the hostname of the component"); a subdomain is refused with
 *   `invalid-from` too, since nothing would route the answers to it.
 * - stanzas need `from` and `to` (as on `jabber:server` streams): a missing
 *   one is the stream error `improper-addressing`; a `to` that is not a JID
 *   is answered with the stanza error `jid-malformed`.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ComponentsConfig } from '@parley/config';
import type { Logger, Metrics } from '@parley/telemetry';
import { DEFAULT_LIMITS } from '@parley/xml';
import type { Element } from '@parley/xml';
import { CLOSE_GRACE_MS, ComponentConnection } from './component-connection.js';
import type { ConnectionHost, HandshakeFailure } from './component-connection.js';
import { toComponentNamespace } from './protocol.js';

/** The handshake must complete within this time after the connection opened. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Largest stanza from a component, by default (the same as the client and S2S defaults). */
export const DEFAULT_COMPONENT_MAX_STANZA_BYTES = DEFAULT_LIMITS.maxStanzaBytes;
/** TCP keepalive probes start after this much silence. */
const TCP_KEEPALIVE_MS = 60_000;

export interface ComponentServerOptions {
  config: ComponentsConfig;
  logger: Logger;
  metrics: Metrics;
  /** A stanza from a connected component (from checked: its domain is the component's). */
  onStanza(el: Element, component: string): void;
  /**
   * A component connected on this node. When it returns a promise, the
   * component's `<handshake/>` is answered once it resolves (used to make
   * the domain reachable across the cluster first); when it rejects, the
   * stream is closed with `internal-server-error`.
   */
  onConnected?(domain: string): void | Promise<void>;
  /** A component disconnected from this node (only for one onConnected was called for). */
  onDisconnected?(domain: string): void;
  /** Largest stanza accepted (default 256 KiB); bigger ones close the stream with policy-violation. */
  maxStanzaBytes?: number;
  /** Default {@link HANDSHAKE_TIMEOUT_MS}. */
  handshakeTimeoutMs?: number;
}

export class ComponentServer {
  private readonly opts: ComponentServerOptions;
  private readonly secrets = new Map<string, string>();
  /** Connections holding their domain (handshake done or being admitted), by domain. */
  private readonly byDomain = new Map<string, ComponentConnection>();
  private readonly all = new Set<ComponentConnection>();
  private server: Server | undefined;
  private closing = false;
  private seq = 0;
  private readonly host: ConnectionHost;
  private readonly metrics: {
    connected: ReturnType<Metrics['gauge']>;
    stanzas: ReturnType<Metrics['counter']>;
    failures: ReturnType<Metrics['counter']>;
  };

  constructor(opts: ComponentServerOptions) {
    this.opts = opts;
    for (const c of opts.config.list) this.secrets.set(c.domain.toLowerCase(), c.secret);
    const m = opts.metrics;
    this.metrics = {
      connected: m.gauge(
        'component_connections',
        'External components (XEP-0114) connected to this node, by domain.',
        ['domain'],
      ),
      stanzas: m.counter(
        'component_stanzas_total',
        'Stanzas exchanged with external components on this node, by domain and direction (in: from the component).',
        ['domain', 'direction'],
      ),
      failures: m.counter(
        'component_handshake_failures_total',
        'Component streams closed before their handshake completed, by reason.',
        ['reason'],
      ),
    };
    for (const domain of this.secrets.keys()) this.metrics.connected.set({ domain }, 0);
    this.host = this.connectionHost();
  }

  /**
   * Starts listening on components.host and `port` (default
   * components.port; 0 picks an ephemeral port). Resolves with the bound port.
   */
  listen(port: number = this.opts.config.port): Promise<number> {
    if (this.server !== undefined) throw new Error('ComponentServer: listen() called twice');
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.config.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.logger.error('component listener error', { err }));
        const bound = (server.address() as AddressInfo).port;
        this.opts.logger.info('listening for components (XEP-0114)', {
          host: this.opts.config.host,
          port: bound,
          components: [...this.secrets.keys()],
        });
        resolve(bound);
      });
    });
  }

  /** Writes a serialized stanza to the component of `domain` if it is connected here; false otherwise. */
  send(domain: string, xml: string): boolean {
    const conn = this.byDomain.get(domain);
    if (conn === undefined || conn.state !== 'ready') return false;
    const out = toComponentNamespace(xml);
    if (out === undefined) {
      this.opts.logger.warn('not a stanza; not sent to the component', { domain });
      // The component is there: the stanza itself is what cannot be delivered.
      return true;
    }
    if (!conn.write(out)) return false;
    this.metrics.stanzas.inc({ domain, direction: 'out' });
    return true;
  }

  /** Whether the component of `domain` is connected here and past its handshake. */
  connected(domain: string): boolean {
    return this.byDomain.get(domain)?.state === 'ready';
  }

  /**
   * Stops listening and closes every component stream with
   * `system-shutdown`; resolves once every socket has closed (connections
   * that do not close within the grace period are dropped).
   */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    const closed =
      server === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => server.close(() => resolve()));
    const sockets = [...this.all].map(
      (conn) =>
        new Promise<void>((resolve) => {
          if (conn.socket.destroyed) resolve();
          else conn.socket.once('close', () => resolve());
          conn.closeStream('system-shutdown', 'the server is shutting down');
        }),
    );
    const grace = setTimeout(() => {
      for (const conn of this.all) conn.destroy();
    }, CLOSE_GRACE_MS + 1_000);
    try {
      await Promise.all([closed, ...sockets]);
    } finally {
      clearTimeout(grace);
    }
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    const id = `comp-${randomBytes(4).toString('hex')}-${++this.seq}`;
    const conn = new ComponentConnection(this.host, socket, id);
    this.all.add(conn);
    this.opts.logger.debug('component connection opened', {
      conn: id,
      ip: socket.remoteAddress,
    });
  }

  private connectionHost(): ConnectionHost {
    const opts = this.opts;
    const logger = opts.logger;
    return {
      maxStanzaBytes: opts.maxStanzaBytes ?? DEFAULT_COMPONENT_MAX_STANZA_BYTES,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      secretOf: (domain) => this.secrets.get(domain),
      claim: (conn) => {
        const domain = conn.domain!;
        if (this.closing || this.byDomain.has(domain)) return false;
        this.byDomain.set(domain, conn);
        return true;
      },
      admit: async (conn) => {
        const domain = conn.domain!;
        await opts.onConnected?.(domain);
        if (conn.open) {
          this.metrics.connected.set({ domain }, 1);
          logger.info('component connected', { conn: conn.id, domain });
        }
      },
      handshakeFailed: (conn, reason: HandshakeFailure, text) => {
        this.metrics.failures.inc({ reason });
        logger.warn('component handshake failed', {
          conn: conn.id,
          ip: conn.socket.remoteAddress,
          reason,
          text,
          ...(conn.domain !== undefined && { domain: conn.domain }),
        });
      },
      stanza: (conn, el) => {
        const domain = conn.domain!;
        this.metrics.stanzas.inc({ domain, direction: 'in' });
        try {
          opts.onStanza(el, domain);
        } catch (err) {
          logger.error('component stanza handler failed', { conn: conn.id, domain, err });
        }
      },
      closed: (conn, claimed) => {
        this.all.delete(conn);
        const domain = conn.domain;
        if (!claimed || domain === undefined) return;
        if (this.byDomain.get(domain) === conn) this.byDomain.delete(domain);
        this.metrics.connected.set({ domain }, 0);
        logger.info('component disconnected', { conn: conn.id, domain });
        try {
          opts.onDisconnected?.(domain);
        } catch (err) {
          logger.error('component disconnect handler failed', { domain, err });
        }
      },
      log: (level, msg, fields) => logger[level](msg, fields),
    };
  }
}
