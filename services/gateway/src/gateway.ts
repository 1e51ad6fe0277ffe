/**
 * The client-to-server gateway: listeners (TCP, direct TLS and, when
 * enabled, WebSocket), the connection table, the bus subscription for
 * deliveries, and one shared sweep timer for every connection's deadlines
 * and keepalives.
 */
import { randomBytes } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { MemoryLoginLimits, loginLimitsOptions } from '@parley/cluster';
import type { LoginLimits } from '@parley/cluster';
import type { Bus, OrderedConsumer } from '@parley/bus';
import type { Config } from '@parley/config';
import { normalizeDomain } from '@parley/jid';
import {
  BusProtocol,
  GATEWAY_MESSAGES,
  gatewayConsumerName,
  gatewaySubject,
  undeliveredStanza,
  versionedBus,
} from '@parley/routing';
import type { RegistryMessage } from '@parley/routing';
import { VerifiedPasswords } from '@parley/sasl';
import { MemoryInvitationStore, MemoryResumptionStore } from '@parley/store';
import type { AccountStore, InvitationStore, ResumptionStore } from '@parley/store';
import { MemoryFastTokenStore } from '@parley/store/fast';
import type { FastTokenStore } from '@parley/store/fast';
import type { Logger, Metrics } from '@parley/telemetry';
import { CLOSE_GRACE_MS, Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { LoginGuard } from './limits/login-guard.js';
import { AddressLimits } from './limits/address-limits.js';
import type { AddressSlot } from './limits/address-limits.js';
import { AddressLimitMetrics, evictConnection } from './limits/connection-limits.js';
import {
  createDirectTlsListener,
  createPlainListener,
  listen,
  stopListening,
} from './listeners.js';
import { GatewayMetrics } from './metrics.js';
import { fakeSaltSecret } from './negotiation/fake-salt-secret.js';
import { FAST_KEY_LABEL, derivedKey } from './negotiation/fast.js';
import { ServerCaps } from './negotiation/caps.js';
import { BIND2_KEY_LABEL } from './negotiation/bind2.js';
import type { UnconfiguredFakeSaltSecret } from './negotiation/fake-salt-secret.js';
import { builtinStreamModules, startStreamModules } from './stream-modules/index.js';
import type { StreamModule } from './stream-modules/index.js';
import { createProxyGate } from './proxy/gate.js';
import type { ClientAddress } from './proxy/gate.js';
import { bounceEnvelope } from './relay/bounce.js';
import { handleGatewayMessage } from './relay/delivery.js';
import { startReregistration } from './relay/reregister.js';
import { answerUnroutable } from './relay/unroutable.js';
import { SmManager } from './sm/manager.js';
import { loadTlsMaterial } from '@parley/process';
import { TcpTransport } from './transport/tcp.js';
import type { StreamTransport } from './transport/transport.js';
import { secureEndpoint } from './websocket/host-meta.js';
import { createWebSocketListener, createWebSocketServer } from './websocket/server.js';
import type { WebSocketClient } from './websocket/server.js';
import { WebSocketTransport } from './websocket/transport.js';
import { serveBoshHttp } from './bosh/http.js';
import { BoshService } from './bosh/service.js';
import { boshUrls } from './bosh/urls.js';

export interface GatewayDeps {
  config: Config;
  bus: Bus;
  accounts: AccountStore;
  logger: Logger;
  metrics: Metrics;
  /** Unique in the cluster; deliveries for this gateway arrive on `xmpp.gw.<gatewayId>`. */
  gatewayId: string;
  /**
   * XEP-0198 resumption state. Share one store (Redis) between the gateways
   * of a cluster so clients can resume on any of them. Default: a store in
   * this process (single node), closed with the gateway.
   */
  resumption?: ResumptionStore;
  /**
   * XEP-0484 FAST token records. Share one durable store between the
   * gateways of a cluster so a token issued by one is accepted by all.
   * Default: a store in this process, closed with the gateway.
   */
  fastTokens?: FastTokenStore;
  /** Registration invitations; default: this gateway's own, in memory. */
  invitations?: InvitationStore;
  /**
   * Login and registration limits (limits/login-guard.ts). Share one store
   * (Redis) between the gateways of a cluster so that every gateway sees
   * the same failures and refusals. Default: a store in this process.
   */
  loginLimits?: LoginLimits;
  /**
   * The registry's partition terms (cluster: `readTerms` of @parley/cluster):
   * when one changes, this gateway registers its sessions of that partition
   * again (relay/reregister.ts). Absent (single node): never needed.
   */
  partitionTerms?: () => Promise<Array<string | null>>;
  /** The stream modules (features and their elements); default: builtinStreamModules. */
  streamModules?: readonly StreamModule[];
  /**
   * Without sasl.fakeSaltSecret(File): refuse to start (cluster), persist a
   * random secret in server.dataDir (all-in-one), or a random one per
   * process (default; tests). See negotiation/fake-salt-secret.ts.
   */
  unconfiguredFakeSaltSecret?: UnconfiguredFakeSaltSecret;
}

/** Bound ports (a configured port 0 means an ephemeral one); absent: that listener does not run. */
export interface GatewayPorts {
  c2s: number;
  directTls?: number;
  /** ws:// (RFC 7395). */
  websocket?: number;
  /** wss:// (RFC 7395). */
  websocketTls?: number;
}

export interface Gateway {
  readonly gatewayId: string;
  readonly ports: GatewayPorts;
  connectionCount(): number;
  /** Resumable sessions whose connection was lost and that wait here to be resumed. */
  detachedCount(): number;
  /** Stops accepting, closes every stream with system-shutdown (unbinding them) and releases the listeners. */
  close(reason?: 'system-shutdown'): Promise<void>;
}

export async function startGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, accounts, logger, gatewayId } = deps;
  // Everything this gateway sends carries the bus protocol version; what it receives is checked.
  const bus = versionedBus(deps.bus);
  const protocol = new BusProtocol({ metrics: deps.metrics, logger });
  const subject = gatewaySubject(gatewayId);
  const unknownUserSecret = fakeSaltSecret(
    config,
    deps.unconfiguredFakeSaltSecret ?? 'random',
    logger,
  );
  const tls = await loadTlsMaterial(config, logger);
  // Stream features and their elements come from modules; a broken set stops the start here.
  const streams = startStreamModules(config, deps.streamModules ?? builtinStreamModules);
  const domains = new Set(config.server.domains.map((d) => normalizeDomain(d)));
  const connections = new Map<string, Connection>();
  const metrics = new GatewayMetrics(deps.metrics);
  const limitMetrics = new AddressLimitMetrics(deps.metrics);
  const limits = new AddressLimits({
    maxUnauthenticated: config.c2s.maxUnauthenticatedPerAddress,
    maxSessions: config.c2s.maxSessionsPerAddress,
    onEvict: () => limitMetrics.evicted.inc(),
    onRefuse: () => limitMetrics.refused.inc(),
  });
  const ownResumption = deps.resumption === undefined;
  const resumption = deps.resumption ?? new MemoryResumptionStore();
  const ownFastTokens = deps.fastTokens === undefined ? new MemoryFastTokenStore() : undefined;
  const fastTokens = deps.fastTokens ?? ownFastTokens!;
  let closing = false;
  let drained: (() => void) | undefined;

  const publish = (to: string, data: unknown): Promise<void> | undefined => {
    // Route subjects live in the durable stream: stored before anyone acts on them.
    // Gateway subjects (XEP-0198 takeovers) are plain publishes.
    if (!to.startsWith('xmpp.r.')) {
      try {
        bus.publish(to, data);
      } catch (err) {
        logger.warn('bus publish failed', { subject: to, err });
      }
      return undefined;
    }
    return bus.publishDurable(to, data).catch((err: unknown) => {
      logger.warn('bus publish failed', { subject: to, err });
      const m = data as RegistryMessage;
      if (m.t !== 'stanza' || m.env.conn === undefined) return;
      const conn = connections.get(m.env.conn);
      if (conn !== undefined) answerUnroutable(conn, m.env);
    });
  };
  const caps = new ServerCaps({ bus, config, logger, domains });
  const sm = new SmManager({
    config,
    resumption,
    logger,
    metrics,
    gatewayId,
    publish,
    connections,
  });

  const ctx: GatewayContext = {
    config,
    bus,
    accounts,
    logger,
    metrics,
    gatewayId,
    resumption,
    fastTokens,
    invitations: deps.invitations ?? new MemoryInvitationStore(),
    caps,
    fastKey: derivedKey(unknownUserSecret, FAST_KEY_LABEL),
    bindKey: derivedKey(unknownUserSecret, BIND2_KEY_LABEL),
    sm,
    tls,
    domains,
    defaultDomain: domains.values().next().value ?? 'localhost',
    limits,
    loginGuard: new LoginGuard(
      config,
      deps.loginLimits ?? new MemoryLoginLimits(loginLimitsOptions(config)),
      logger,
      deps.metrics,
    ),
    saslOptions: {
      // Unknown users get the same salt on every gateway and across restarts (issue 15).
      unknownUserSecret,
      unknownUserIterations: config.sasl.scramIterations,
      allowPlainWithoutTls: config.c2s.allowPlainWithoutTls,
      // PLAIN logins of users who logged in recently skip PBKDF2; what it keeps: docs/security.md.
      verifiedPasswords: new VerifiedPasswords(),
    },
    streams,
    publish,
    connectionClosed(conn) {
      if (connections.get(conn.id) !== conn) return;
      connections.delete(conn.id);
      limits.release(conn.slot);
      metrics.closed(conn.transport.kind);
      logger.info('client connection closed', {
        conn: conn.id,
        ip: conn.ip,
        durationMs: Date.now() - conn.openedAt,
        ...(conn.jid !== undefined && { jid: conn.jid }),
      });
      if (closing && connections.size === 0) drained?.();
    },
  };

  const token = randomBytes(4).toString('hex');
  let seq = 0;
  /**
   * A new client stream on any transport; `client` is its effective address
   * (from a PROXY header or X-Forwarded-For when trusted). `held`: the slot
   * its listener took at the TCP accept (TLS listeners); otherwise one is
   * taken now. Taking one may evict the oldest unauthenticated connection of
   * the address; the newcomer is never refused.
   */
  const admit = (client: ClientAddress, transport: StreamTransport, held?: AddressSlot): void => {
    const { ip } = client;
    if (closing) {
      if (held !== undefined) limits.release(held);
      transport.destroy();
      return;
    }
    const slot = held ?? limits.open(ip, ignore);
    const conn = new Connection(ctx, `${token}-${(++seq).toString(36)}`, transport, ip, slot);
    slot.evict = () => evictConnection(conn);
    connections.set(conn.id, conn);
    metrics.opened(transport.kind);
    logger.info('client connection opened', {
      conn: conn.id,
      ip,
      port: client.port,
      transport: transport.kind,
      ...(client.via !== undefined && { via: client.via }),
    });
    // An address refused after failed logins is turned away at once (limits/login-guard.ts).
    ctx.loginGuard.screen(conn);
  };
  const accept = (
    socket: Socket,
    kind: 'tcp' | 'tls',
    client: ClientAddress,
    slot?: AddressSlot,
  ): void => {
    admit(client, new TcpTransport(socket, kind), slot);
  };
  const proxyGate = createProxyGate({
    config,
    logger,
    count: (outcome) => metrics.proxy(outcome),
  });
  const ports: GatewayPorts = { c2s: 0 };
  const acceptWebSocket = (client: WebSocketClient): void => {
    // ws:// counts as encrypted only behind a TLS-terminating proxy (websocket.plainIsSecure).
    const secure = client.kind === 'wss' || config.websocket.plainIsSecure;
    const alternative =
      !secure && config.c2s.requireTls ? secureEndpoint(config, ports, client.host) : undefined;
    // Until the connection's own listeners are attached (or if it is refused).
    client.ws.on('error', ignore);
    const transport = new WebSocketTransport(
      client.ws,
      client.kind,
      secure,
      client.tlsSocket,
      client.remotePort,
      alternative,
    );
    admit({ ip: client.ip, port: client.remotePort }, transport, client.slot);
  };
  // XEP-0206 on the WebSocket listeners (src/bosh); requests for another gateway's sessions go to it.
  const bosh = config.bosh.enabled
    ? new BoshService({
        config,
        logger,
        metrics: deps.metrics,
        bus,
        protocol,
        gatewayId,
        ports,
        admit,
      })
    : undefined;

  // Deliveries come through the durable stream: what arrives while this
  // gateway is down stays there, and is bounced back by whoever drains it.
  const consumer: OrderedConsumer = await bus.consumeOrdered(
    subject,
    gatewayConsumerName(gatewayId),
    async (msg) => {
      const data = protocol.decode(GATEWAY_MESSAGES, msg);
      if (data === undefined) {
        // Counted and logged. A delivery whose stanza is still readable is not lost: it goes
        // back to the recipient's partition, which routes it as if this connection were gone.
        const lost = undeliveredStanza(msg.data);
        if (lost !== undefined) bounceEnvelope(ctx, lost.env, lost.jid, lost.conn);
        return;
      }
      handleGatewayMessage(ctx, connections, data);
    },
  );

  const servers: Server[] = [];
  try {
    await bosh?.start();
    const plain = createPlainListener(proxyGate, (socket, client) => accept(socket, 'tcp', client));
    servers.push(plain);
    ports.c2s = await listen(plain, config.c2s.port, config.c2s.host);
    if (config.c2s.directTlsPort !== 0) {
      const direct = createDirectTlsListener(
        { config, material: tls, logger, gate: proxyGate, limits },
        (socket, client, slot) => accept(socket, 'tls', client, slot),
      );
      servers.push(direct);
      ports.directTls = await listen(direct, config.c2s.directTlsPort, config.c2s.host);
    }
    const ws = config.websocket;
    if (ws.enabled) {
      const wss = createWebSocketServer(config);
      for (const kind of ws.listeners) {
        const server = createWebSocketListener(wss, {
          kind,
          config,
          tls,
          logger,
          ports,
          limits,
          accept: acceptWebSocket,
          ...(bosh !== undefined && {
            bosh: {
              serve: (req, res, client) => serveBoshHttp(bosh, config, logger, req, res, client),
              urls: (host) => boshUrls(config, ports, host),
            },
          }),
        });
        servers.push(server);
        if (kind === 'ws') ports.websocket = await listen(server, ws.port, ws.host);
        else ports.websocketTls = await listen(server, ws.tlsPort, ws.tlsHost);
      }
    }
  } catch (err) {
    bosh?.close();
    await consumer.stop();
    for (const s of servers) s.close();
    await sm.close();
    if (ownResumption) await resumption.close();
    await ownFastTokens?.close();
    await streams.stop();
    throw err;
  }

  const reregistration =
    deps.partitionTerms === undefined
      ? undefined
      : startReregistration({
          config,
          gatewayId,
          logger,
          metrics: deps.metrics,
          connections,
          sm,
          publish,
          readTerms: deps.partitionTerms,
        });

  const sweepMs = sweepInterval(config);
  // The server's XEP-0115 caps for the stream features, once a registry worker answers.
  caps.start();
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const conn of connections.values()) {
      try {
        conn.tick(now);
      } catch (err) {
        conn.fail(err);
      }
    }
  }, sweepMs);
  sweeper.unref();

  logger.info('c2s gateway listening', {
    gatewayId,
    host: config.c2s.host,
    ...ports,
    ...(config.websocket.enabled && { websocketPath: config.websocket.path }),
    ...(bosh !== undefined && { boshPath: config.bosh.path }),
    domains: [...domains],
  });

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    reregistration?.stop();
    const listenersDone = servers.map((s) => stopListening(s, CLOSE_GRACE_MS + 1_000));
    if (connections.size > 0) {
      const allGone = new Promise<void>((resolve) => (drained = resolve));
      for (const conn of [...connections.values()]) {
        try {
          // Resumable sessions stay resumable: the client resumes on another gateway.
          conn.closeStream('system-shutdown', undefined, { detach: true });
        } catch {
          conn.destroy();
        }
      }
      // Peers get CLOSE_GRACE_MS to close; the sweep destroys stragglers.
      await Promise.race([allGone, delay(CLOSE_GRACE_MS + 500)]);
      for (const conn of [...connections.values()]) conn.destroy();
    }
    await Promise.all(listenersDone);
    bosh?.close();
    clearInterval(sweeper);
    caps.stop();
    // Sessions that cannot be resumed elsewhere end now; resumable ones wait in the store.
    await sm
      .close()
      .catch((err: unknown) => logger.warn('ending detached sessions failed', { err }));
    await consumer.stop();
    await bus.flush().catch(() => undefined);
    if (ownResumption) await resumption.close();
    await ownFastTokens?.close();
    await streams.stop();
    logger.info('c2s gateway stopped', { gatewayId });
  };

  return {
    gatewayId,
    ports,
    connectionCount: () => connections.size,
    detachedCount: () => sm.detachedCount,
    close: () => (closed ??= close()),
  };
}

/**
 * Sweep often enough for the shortest configured timeout (WebSocket pings
 * included), at most once per second. That includes the resumption timeout: live resumable sessions push
 * their record's expiry forward (every third of it) from the sweep.
 */
function sweepInterval(config: Config): number {
  const { connectTimeoutMs, idleTimeoutMs, idleProbeTimeoutMs, whitespaceKeepaliveMs } = config.c2s;
  const resume = config.sm.enabled ? config.sm.resumeTimeoutMs : 0;
  const ping = config.websocket.enabled ? config.websocket.pingIntervalMs : 0;
  const shortest = Math.min(
    ...[
      connectTimeoutMs,
      idleTimeoutMs,
      idleTimeoutMs > 0 ? idleProbeTimeoutMs : 0,
      config.c2s.tlsHandshakeTimeoutMs,
      whitespaceKeepaliveMs,
      CLOSE_GRACE_MS,
      resume,
      ping,
    ].filter((v) => v > 0),
  );
  return Math.max(25, Math.min(1_000, Math.floor(shortest / 4)));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function ignore(): void {}
