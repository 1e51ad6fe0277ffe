/**
 * The server-to-server engine: listeners for remote servers (RFC 6120
 * STARTTLS port, XEP-0368 direct TLS port), one outbound stream per
 * (local, remote) domain pair with a bounded queue while it is set up,
 * dialback verification streams (XEP-0220), XEP-0288 bidirectional use of
 * inbound streams, and the s2s.* limits (allow/deny, streams per domain,
 * stanza rate, retry-after).
 * https://www.rfc-editor.org/rfc/rfc6120
 * https://xmpp.org/extensions/xep-0220.html
 * https://xmpp.org/extensions/xep-0288.html
 * https://xmpp.org/extensions/xep-0368.html
 */
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import type { ConnectionOptions, SecureContext, TLSSocket, TlsOptions } from 'node:tls';
import type { S2sConfig } from '@parley/config';
import { normalizeDomain } from '@parley/jid';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { DialbackVerdict, EngineContext, StanzaRoute, StanzaSink } from './context.js';
import { parseOverrides, parseResolvers } from './dns.js';
import { S2sDeliveryError } from './errors.js';
import type { DeliveryCondition } from './errors.js';
import { InboundStream } from './inbound.js';
import { S2sMetrics } from './metrics.js';
import { OutboundStream } from './outbound.js';
import { TokenBucket } from './rate-limit.js';
import type { RateVerdict } from './rate-limit.js';

export { S2sDeliveryError } from './errors.js';

export interface S2sEngineOptions {
  config: S2sConfig;
  /** Domains this server speaks for (served domains, their MUC/pubsub service domains). */
  isLocalDomain(domain: string): boolean;
  /** PEM of our certificate (also presented as client cert). */
  tls: { cert: string; key: string };
  /** PEM CA bundle for peer certificates; undefined = Node's roots. */
  trustStore?: string;
  dialbackSecret: string;
  logger: Logger;
  metrics: Metrics;
  /** An authenticated stanza from a remote server (already checked: from's domain is authenticated, to's domain is local). */
  onStanza(el: Element, route: { from: string; to: string }): void;
}

interface Queued {
  xml: string;
  resolve(): void;
  reject(err: S2sDeliveryError): void;
}

interface Link {
  out: OutboundStream;
  queue: Queued[];
}

function normalize(domain: string): string | undefined {
  try {
    return normalizeDomain(domain);
  } catch {
    return undefined;
  }
}

export class S2sEngine {
  private readonly opts: S2sEngineOptions;
  private readonly ctx: EngineContext;
  private readonly log: Logger;
  private readonly metrics: S2sMetrics;
  private readonly links = new Map<string, Link>();
  private readonly failures = new Map<
    string,
    { until: number; condition: DeliveryCondition; message: string }
  >();
  private readonly inbound = new Set<InboundStream>();
  private readonly inboundByRemote = new Map<string, Set<object>>();
  /** `local remote` -> an inbound stream on which the remote enabled XEP-0288. */
  private readonly bidiRoutes = new Map<string, StanzaSink>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly verifyStreams = new Set<OutboundStream>();
  private readonly servers: Server[] = [];
  private readonly allow: ReadonlySet<string>;
  private readonly deny: ReadonlySet<string>;
  private closing = false;

  constructor(opts: S2sEngineOptions) {
    this.opts = opts;
    const config = opts.config;
    // Fail fast on bad routing configuration.
    parseOverrides(config.overrides);
    parseResolvers(config.resolvers);
    this.log = opts.logger.child({ component: 's2s-engine' });
    this.metrics = new S2sMetrics(opts.metrics);
    this.allow = new Set(config.allow.map((d) => normalize(d) ?? d.toLowerCase()));
    this.deny = new Set(config.deny.map((d) => normalize(d) ?? d.toLowerCase()));
    const serverTls: TlsOptions = {
      cert: opts.tls.cert,
      key: opts.tls.key,
      minVersion: 'TLSv1.2',
      ...(opts.trustStore === undefined ? {} : { ca: opts.trustStore }),
    };
    const clientContext: SecureContext = createSecureContext({
      cert: opts.tls.cert,
      key: opts.tls.key,
      ...(opts.trustStore === undefined ? {} : { ca: opts.trustStore }),
    });
    this.ctx = {
      config,
      logger: this.log,
      metrics: this.metrics,
      dialbackSecret: opts.dialbackSecret,
      serverTls,
      isLocalDomain: (d) => opts.isLocalDomain(d),
      isRemoteAllowed: (d) => this.isRemoteAllowed(d),
      clientTls: (remote): ConnectionOptions => ({
        secureContext: clientContext,
        servername: remote,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
        minVersion: 'TLSv1.2',
      }),
      verifyDialback: (receiving, originating, streamId, key) =>
        this.verifyDialback(receiving, originating, streamId, key),
      inboundAuthenticated: (stream, remote, local, bidi) =>
        this.inboundAuthenticated(stream, remote, local, bidi),
      inboundClosed: (stream) => this.inboundClosed(stream),
      rate: (remote) => this.rate(remote),
      deliver: (el, route) => this.deliver(el, route),
    };
  }

  /** Starts the listeners; ports actually bound (0 in config picks a free one). */
  async listen(): Promise<{ port: number; directTlsPort?: number }> {
    const { host, port, directTlsPort } = this.opts.config;
    const plain = createNetServer((socket) => this.accept(socket, false));
    const bound = await this.bind(plain, host, port);
    if (directTlsPort === 0) return { port: bound };
    const tlsServer = createTlsServer(
      {
        ...this.ctx.serverTls,
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['xmpp-server'],
      },
      (socket: TLSSocket) => this.accept(socket, true),
    );
    tlsServer.on('tlsClientError', (err) => this.log.debug('direct TLS handshake failed', { err }));
    // With directTlsPort configured, 0 is never passed here; tests ask for an ephemeral one with -1.
    const tlsPort = await this.bind(tlsServer, host, directTlsPort < 0 ? 0 : directTlsPort);
    return { port: bound, directTlsPort: tlsPort };
  }

  private bind(server: Server, host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error('s2s listener error', { err }));
        this.servers.push(server);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private accept(socket: Socket, secure: boolean): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.on('error', () => undefined);
    try {
      const stream = new InboundStream(this.ctx, socket, secure);
      this.inbound.add(stream);
    } catch (err) {
      this.log.error('could not set up an inbound s2s stream', { err });
      socket.destroy();
    }
  }

  /**
   * Writes a serialized stanza from local domain `from` to remote domain
   * `to`, in call order per pair; see the class documentation in the brief.
   */
  send(from: string, to: string, xml: string): Promise<void> {
    const local = normalize(from);
    const remote = normalize(to);
    if (this.closing) return reject('service-unavailable', 'the S2S engine is shut down');
    if (local === undefined || !this.opts.isLocalDomain(local)) {
      return reject('service-unavailable', `${from} is not a local domain`);
    }
    if (remote === undefined || this.opts.isLocalDomain(remote)) {
      return reject('remote-server-not-found', `${to} is not a remote domain`);
    }
    if (!this.isRemoteAllowed(remote)) {
      return reject('remote-server-not-found', `federation with ${remote} is not allowed`);
    }
    const key = `${local} ${remote}`;
    const sink = this.sinkFor(key);
    if (sink !== undefined) return this.write(sink, remote, xml);
    let link = this.links.get(key);
    if (link === undefined || (link.out.isReady && !link.out.usable)) {
      const failure = this.failures.get(key);
      if (failure !== undefined && failure.until > Date.now()) {
        return reject(
          failure.condition,
          `${failure.message} (retrying after ${new Date(failure.until).toISOString()})`,
        );
      }
      this.failures.delete(key);
      link = this.connect(key, local, remote);
    }
    if (link.queue.length >= this.opts.config.queueMax) {
      return reject(
        'resource-constraint',
        `more than ${this.opts.config.queueMax} stanzas waiting for ${remote}`,
      );
    }
    return new Promise<void>((resolve, rejectFn) => {
      link.queue.push({ xml, resolve, reject: rejectFn });
    });
  }

  /** An authenticated stream for the pair exists (send writes at once). */
  connected(from: string, to: string): boolean {
    const local = normalize(from);
    const remote = normalize(to);
    if (local === undefined || remote === undefined) return false;
    return this.sinkFor(`${local} ${remote}`) !== undefined;
  }

  /** Closes every stream with </stream:stream> and stops listening. */
  async close(): Promise<void> {
    this.closing = true;
    const waits: Promise<unknown>[] = [];
    for (const server of this.servers) {
      waits.push(new Promise<void>((resolve) => server.close(() => resolve())));
    }
    this.servers.length = 0;
    for (const link of this.links.values()) {
      failQueue(link, 'service-unavailable', 'the S2S engine is shutting down');
      link.out.close();
      if (link.out.stream !== undefined) waits.push(link.out.stream.done);
    }
    for (const out of this.verifyStreams) {
      out.close();
      if (out.stream !== undefined) waits.push(out.stream.done);
    }
    for (const stream of this.inbound) {
      stream.close();
      waits.push(stream.stream.done);
    }
    await Promise.all(waits);
  }

  // --- outbound ---------------------------------------------------------------------

  private sinkFor(key: string): StanzaSink | undefined {
    const link = this.links.get(key);
    if (link !== undefined && link.out.usable) return link.out;
    const bidi = this.bidiRoutes.get(key);
    if (bidi !== undefined && bidi.usable) return bidi;
    return undefined;
  }

  private write(sink: StanzaSink, remote: string, xml: string): Promise<void> {
    return new Promise((resolve, rejectFn) => {
      sink.sendStanza(xml, (err) => {
        if (err) {
          rejectFn(
            new S2sDeliveryError(
              'remote-server-timeout',
              `the stream to ${remote} closed before the stanza was written`,
            ),
          );
          return;
        }
        this.metrics.stanzaOut(remote);
        resolve();
      });
    });
  }

  private connect(key: string, local: string, remote: string): Link {
    const out = new OutboundStream(this.ctx, local, remote, 'auth');
    const link: Link = { out, queue: [] };
    this.links.set(key, link);
    out.onClosed = () => {
      if (this.links.get(key) === link) this.links.delete(key);
      const failure = out.failure;
      if (failure !== undefined) failQueue(link, failure.condition, failure.message);
      else
        failQueue(
          link,
          'remote-server-timeout',
          `the stream to ${remote} closed with stanzas queued`,
        );
    };
    out.ready.then(
      () => {
        const queued = link.queue;
        link.queue = [];
        for (const q of queued) this.write(out, remote, q.xml).then(q.resolve, q.reject);
      },
      (err: unknown) => {
        const failure =
          err instanceof S2sDeliveryError
            ? err
            : new S2sDeliveryError('remote-server-not-found', String(err));
        const retry = this.opts.config.retryAfterMs;
        if (retry > 0 && !this.closing) {
          this.failures.set(key, {
            until: Date.now() + retry,
            condition: failure.condition,
            message: failure.message,
          });
        }
        if (this.links.get(key) === link) this.links.delete(key);
        const queued = link.queue;
        link.queue = [];
        for (const q of queued) q.reject(failure);
      },
    );
    return link;
  }

  private async verifyDialback(
    receiving: string,
    originating: string,
    streamId: string,
    key: string,
  ): Promise<DialbackVerdict> {
    if (this.closing) throw new S2sDeliveryError('service-unavailable', 'shutting down');
    const out = new OutboundStream(this.ctx, receiving, originating, 'verify');
    this.verifyStreams.add(out);
    out.onClosed = () => this.verifyStreams.delete(out);
    let timer: NodeJS.Timeout | undefined;
    try {
      await out.ready;
      const answer = out.verify(receiving, originating, streamId, key);
      // When the timeout wins, the closing stream rejects the answer later: not an unhandled rejection.
      answer.catch(() => undefined);
      const timeout = new Promise<never>((_, rejectFn) => {
        timer = setTimeout(
          () =>
            rejectFn(
              new S2sDeliveryError(
                'remote-server-timeout',
                `no dialback answer from ${originating}`,
              ),
            ),
          this.opts.config.connectTimeoutMs,
        );
      });
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      out.close();
    }
  }

  // --- inbound ----------------------------------------------------------------------

  private isRemoteAllowed(domain: string): boolean {
    if (this.deny.has(domain)) return false;
    return this.allow.size === 0 || this.allow.has(domain);
  }

  private inboundAuthenticated(
    stream: object,
    remote: string,
    local: string,
    bidi: StanzaSink | undefined,
  ): boolean {
    let streams = this.inboundByRemote.get(remote);
    if (streams === undefined) {
      streams = new Set();
      this.inboundByRemote.set(remote, streams);
    }
    if (!streams.has(stream)) {
      if (streams.size >= this.opts.config.maxStreamsPerDomain) return false;
      streams.add(stream);
    }
    if (bidi !== undefined) this.bidiRoutes.set(`${local} ${remote}`, bidi);
    return true;
  }

  private inboundClosed(stream: object): void {
    this.inbound.delete(stream as InboundStream);
    for (const [remote, streams] of this.inboundByRemote) {
      if (streams.delete(stream) && streams.size === 0) this.inboundByRemote.delete(remote);
    }
    for (const [key, sink] of this.bidiRoutes) if (sink === stream) this.bidiRoutes.delete(key);
  }

  private rate(remote: string): RateVerdict {
    let bucket = this.buckets.get(remote);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.opts.config.stanzasPerSecond);
      this.buckets.set(remote, bucket);
    }
    return bucket.take();
  }

  private deliver(el: Element, route: StanzaRoute): void {
    try {
      this.opts.onStanza(el, route);
    } catch (err) {
      this.log.error('onStanza failed', { err, from: route.from, to: route.to });
    }
  }
}

function reject(condition: DeliveryCondition, message: string): Promise<never> {
  return Promise.reject(new S2sDeliveryError(condition, message));
}

function failQueue(link: Link, condition: DeliveryCondition, message: string): void {
  const queued = link.queue;
  link.queue = [];
  for (const q of queued) q.reject(new S2sDeliveryError(condition, message));
}
