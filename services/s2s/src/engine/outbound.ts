/**
 * The initiating server's side of a server-to-server stream for one
 * (local, remote) domain pair (RFC 6120 sections 3-6; XEP-0368 direct TLS;
 * XEP-0178 SASL EXTERNAL; XEP-0220 Server Dialback; XEP-0288 bidi):
 * resolve, connect to each candidate in turn, STARTTLS (or TLS first),
 * check the remote's certificate, authenticate with SASL EXTERNAL when
 * offered, else with dialback (unless s2s.secureAuth), and then carry
 * stanzas. The whole setup is bounded by s2s.connectTimeoutMs.
 *
 * In `verify` mode the stream only carries `<db:verify/>` requests to an
 * authoritative server (XEP-0220 2.1.2 steps 2-3) and never authenticates.
 * https://www.rfc-editor.org/rfc/rfc6120#section-3
 * https://xmpp.org/extensions/xep-0220.html
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { tryParseJID } from '@parley/jid';
import { NS_SASL, NS_STREAM, NS_TLS, parseStreamError } from '@parley/stanza';
import type { Logger } from '@parley/telemetry';
import { escapeAttr, escapeText } from '@parley/xml';
import type { Element, StreamHeader } from '@parley/xml';
import { peerIdentity } from './certificates.js';
import type { DialbackVerdict, EngineContext, StanzaSink } from './context.js';
import { dialbackKey } from './dialback-key.js';
import { ServerNotFoundError, resolveAddresses, resolveServer } from './dns.js';
import type { ServerCandidate } from './dns.js';
import { S2sDeliveryError } from './errors.js';
import type { DeliveryCondition } from './errors.js';
import { NS_BIDI, NS_BIDI_FEATURE, NS_DIALBACK_FEATURE } from './inbound.js';
import type { AuthMethod } from './metrics.js';
import { NS_DIALBACK, S2sStream, checkS2sHeader } from './s2s-stream.js';
import { isStanza } from './stanza-route.js';

export type OutboundMode = 'auth' | 'verify';

type State =
  'connecting' | 'header' | 'features' | 'proceed' | 'sasl' | 'dialback' | 'ready' | 'closed';

interface PendingVerify {
  resolve(v: DialbackVerdict): void;
  reject(err: Error): void;
}

export class OutboundStream implements StanzaSink {
  stream: S2sStream | undefined;
  private state: State = 'connecting';
  private remoteStreamId: string | undefined;
  private saslDone = false;
  private saslTried = false;
  private bidiSent = false;
  private certOk = false;
  private certReason: string | undefined;
  authMethod: AuthMethod = 'none';
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;
  private settled = false;
  private resolveReady!: () => void;
  private rejectReady!: (err: S2sDeliveryError) => void;
  /** Resolves once authenticated (auth mode) or able to send `<db:verify/>` (verify mode). */
  readonly ready: Promise<void>;
  private readonly verifies = new Map<string, PendingVerify>();
  /** Why the setup failed, once it has. */
  failure: S2sDeliveryError | undefined;
  /** Told once the stream is gone (after `ready`, or instead of it). */
  onClosed: (() => void) | undefined;

  constructor(
    private readonly ctx: EngineContext,
    readonly local: string,
    readonly remote: string,
    readonly mode: OutboundMode,
  ) {
    this.log = ctx.logger.child({ s2s: 'out', local, remote, mode });
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Callers attach their own handlers; this one keeps an unobserved failure from surfacing.
    this.ready.catch(() => undefined);
    this.timer = setTimeout(
      () =>
        this.setupFailed(
          'remote-server-timeout',
          `setup took longer than ${ctx.config.connectTimeoutMs} ms`,
          'timeout',
        ),
      ctx.config.connectTimeoutMs,
    );
    void this.connect();
  }

  get usable(): boolean {
    return (
      this.state === 'ready' &&
      this.stream !== undefined &&
      !this.stream.ending &&
      !this.stream.closed
    );
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  sendStanza(xml: string, cb: (err?: Error | null) => void): void {
    const stream = this.stream;
    if (stream === undefined || !this.usable) {
      queueMicrotask(() => cb(new Error('stream not usable')));
      return;
    }
    stream.touch();
    stream.write(xml, cb);
  }

  close(): void {
    if (this.stream === undefined) {
      this.setupFailed('remote-server-timeout', 'closed before it was set up', 'closed');
      return;
    }
    this.stream.close();
  }

  /** Sends a dialback verification request (verify mode, once ready). */
  verify(
    receiving: string,
    originating: string,
    streamId: string,
    key: string,
  ): Promise<DialbackVerdict> {
    return new Promise((resolve, reject) => {
      const stream = this.stream;
      if (stream === undefined || this.state !== 'ready') {
        reject(new S2sDeliveryError('remote-server-not-found', 'verification stream not ready'));
        return;
      }
      this.verifies.set(streamId, { resolve, reject });
      stream.write(
        `<db:verify from='${escapeAttr(receiving)}' to='${escapeAttr(originating)}' id='${escapeAttr(streamId)}'>${escapeText(key)}</db:verify>`,
      );
    });
  }

  // --- connecting ------------------------------------------------------------------

  private async connect(): Promise<void> {
    const cfg = this.ctx.config;
    const dnsOpts = {
      resolvers: cfg.resolvers,
      overrides: cfg.overrides,
      timeoutMs: cfg.connectTimeoutMs,
    };
    let candidates: ServerCandidate[];
    try {
      candidates = await resolveServer(this.remote, dnsOpts);
    } catch (err) {
      const text =
        err instanceof ServerNotFoundError ? err.message : `DNS lookup failed: ${String(err)}`;
      return this.setupFailed('remote-server-not-found', text, 'dns');
    }
    const errors: string[] = [];
    for (const candidate of candidates) {
      if (this.settled) return;
      const addresses = await resolveAddresses(candidate.host, dnsOpts);
      if (addresses.length === 0) errors.push(`${candidate.host}: no address`);
      for (const address of addresses) {
        if (this.settled) return;
        try {
          const socket = await this.open(candidate, address);
          if (this.settled) {
            socket.destroy();
            return;
          }
          this.log.debug('connected', {
            host: candidate.host,
            address,
            port: candidate.port,
            directTls: candidate.directTls,
          });
          this.begin(socket, candidate.directTls);
          return;
        } catch (err) {
          errors.push(
            `${candidate.host} [${address}]:${candidate.port}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    }
    this.setupFailed(
      'remote-server-not-found',
      `could not connect: ${errors.join('; ') || 'no candidates'}`,
      'connect',
    );
  }

  private open(candidate: ServerCandidate, address: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket: Socket = candidate.directTls
        ? tlsConnect({
            ...this.ctx.clientTls(this.remote),
            host: address,
            port: candidate.port,
            ALPNProtocols: ['xmpp-server'],
          })
        : netConnect({ host: address, port: candidate.port });
      const ok = (): void => {
        socket.off('error', bad);
        resolve(socket);
      };
      const bad = (err: Error): void => {
        socket.destroy();
        reject(err);
      };
      socket.once(candidate.directTls ? 'secureConnect' : 'connect', ok);
      socket.once('error', bad);
    });
  }

  private begin(socket: Socket, directTls: boolean): void {
    const cfg = this.ctx.config;
    this.stream = new S2sStream(
      socket,
      {
        maxStanzaBytes: cfg.maxStanzaBytes,
        idleTimeoutMs: cfg.idleTimeoutMs,
        logger: this.log,
        secure: directTls,
      },
      {
        header: (h) => this.onHeader(h),
        element: (el) => this.onElement(el),
        closed: (info) => this.onStreamClosed(info),
        idle: () => this.stream?.close(),
      },
    );
    if (directTls && !this.checkCertificate(socket as TLSSocket)) return;
    this.openStream();
  }

  private openStream(): void {
    this.state = 'header';
    this.stream!.sendHeader({ from: this.local, to: this.remote });
  }

  /** After TLS: the remote's certificate for its domain; false when that ends the setup. */
  private checkCertificate(socket: TLSSocket): boolean {
    const id = peerIdentity(socket, this.remote);
    this.certOk = id.trusted && id.matches;
    this.certReason = id.reason;
    if (!this.certOk && this.ctx.config.secureAuth) {
      this.setupFailed(
        'remote-server-not-found',
        `certificate of ${this.remote} refused: ${id.reason ?? ''}`,
        'certificate',
      );
      return false;
    }
    if (!this.certOk)
      this.log.info('remote certificate not verified; dialback needed', { reason: id.reason });
    return true;
  }

  // --- negotiation -----------------------------------------------------------------

  private onHeader(header: StreamHeader): void {
    if (this.state !== 'header') return this.protocolError('unexpected stream header');
    const check = checkS2sHeader(header);
    if (!check.ok) {
      this.stream!.fail(check.condition, check.text);
      return this.setupFailed(
        'remote-server-not-found',
        `bad stream header: ${check.text}`,
        'protocol',
      );
    }
    this.remoteStreamId = header.attrs['id'];
    this.state = 'features';
  }

  private onElement(el: Element): void {
    const ns = el.getNS();
    if (ns === NS_STREAM && el.localName === 'error') {
      const err = parseStreamError(el);
      this.log.info('remote sent a stream error', { condition: err?.condition, text: err?.text });
      return this.setupFailed(
        'remote-server-not-found',
        `stream error from ${this.remote}: ${err?.message ?? 'unknown'}`,
        'stream-error',
      );
    }
    switch (this.state) {
      case 'features':
        if (ns === NS_STREAM && el.localName === 'features') return this.onFeatures(el);
        break;
      case 'proceed':
        if (ns === NS_TLS && el.localName === 'proceed') return this.upgrade();
        if (ns === NS_TLS && el.localName === 'failure') {
          return this.setupFailed(
            'remote-server-not-found',
            'STARTTLS refused by the remote server',
            'tls',
          );
        }
        break;
      case 'sasl':
        if (ns === NS_SASL && el.localName === 'success') {
          this.saslDone = true;
          this.stream!.restart();
          return this.openStream();
        }
        if (ns === NS_SASL && el.localName === 'failure') return this.afterSaslFailure();
        break;
      case 'dialback':
        if (ns === NS_DIALBACK && el.localName === 'result') return this.onDialbackResult(el);
        break;
      case 'ready':
        if (ns === NS_DIALBACK && el.localName === 'verify' && this.mode === 'verify')
          return this.onVerifyAnswer(el);
        if (isStanza(el) && this.bidiSent && this.mode === 'auth') return this.bidiStanza(el);
        break;
      default:
        break;
    }
    this.protocolError(`unexpected <${el.name}/>`);
  }

  private protocolError(text: string): void {
    if (this.state === 'ready') {
      this.stream?.fail('unsupported-stanza-type', text);
      return;
    }
    this.stream?.fail('undefined-condition', text);
    this.setupFailed('remote-server-not-found', `protocol error: ${text}`, 'protocol');
  }

  private onFeatures(features: Element): void {
    const stream = this.stream!;
    const cfg = this.ctx.config;
    if (!stream.secure) {
      if (features.getChild('starttls', NS_TLS) !== undefined) {
        this.state = 'proceed';
        stream.write(`<starttls xmlns='${NS_TLS}'/>`);
        return;
      }
      if (cfg.requireTls || cfg.secureAuth) {
        stream.fail('policy-violation', 'this server requires TLS');
        return this.setupFailed(
          'remote-server-not-found',
          `${this.remote} does not offer STARTTLS`,
          'no-tls',
        );
      }
    }
    if (this.mode === 'verify') return this.becomeReady('none');
    if (this.saslDone) return this.becomeReady('sasl');
    if (!this.bidiSent && features.getChild('bidi', NS_BIDI_FEATURE) !== undefined) {
      this.bidiSent = true;
      stream.write(`<bidi xmlns='${NS_BIDI}'/>`);
    }
    const mechanisms = features.getChild('mechanisms', NS_SASL);
    const external =
      mechanisms?.getChildren('mechanism').some((m) => m.text().trim() === 'EXTERNAL') === true;
    if (external && stream.secure && !this.saslTried) {
      this.saslTried = true;
      this.state = 'sasl';
      this.dialbackOffered = features.getChild('dialback', NS_DIALBACK_FEATURE) !== undefined;
      stream.write(`<auth xmlns='${NS_SASL}' mechanism='EXTERNAL'>=</auth>`);
      return;
    }
    if (features.getChild('dialback', NS_DIALBACK_FEATURE) !== undefined)
      return this.startDialback();
    stream.fail('policy-violation', 'no usable authentication method');
    this.setupFailed(
      'remote-server-not-found',
      `${this.remote} offers no authentication we can use`,
      'auth',
    );
  }

  private dialbackOffered = false;

  private afterSaslFailure(): void {
    this.log.info('SASL EXTERNAL refused by the remote server');
    if (this.dialbackOffered) return this.startDialback();
    this.stream?.fail('policy-violation', 'SASL EXTERNAL failed');
    this.setupFailed('remote-server-not-found', `${this.remote} refused SASL EXTERNAL`, 'auth');
  }

  private startDialback(): void {
    const stream = this.stream!;
    if (this.ctx.config.secureAuth) {
      stream.fail('policy-violation', 'only certificate authentication is allowed');
      return this.setupFailed(
        'remote-server-not-found',
        `${this.remote} did not accept our certificate (SASL EXTERNAL) and dialback is disabled by s2s.secureAuth`,
        'auth',
      );
    }
    if (this.remoteStreamId === undefined) {
      stream.fail('invalid-xml', "the stream header has no 'id'");
      return this.setupFailed('remote-server-not-found', "no stream 'id' for dialback", 'protocol');
    }
    this.state = 'dialback';
    const key = dialbackKey(this.ctx.dialbackSecret, this.remote, this.local, this.remoteStreamId);
    stream.write(
      `<db:result from='${escapeAttr(this.local)}' to='${escapeAttr(this.remote)}'>${key}</db:result>`,
    );
  }

  private onDialbackResult(el: Element): void {
    const type = el.attr('type');
    this.ctx.metrics.dialback(this.remote, 'initiating', type ?? 'none');
    if (type === 'valid') return this.becomeReady('dialback');
    const condition = el.getChild('error')?.getChildElements()[0]?.localName;
    this.stream?.close();
    this.setupFailed(
      'remote-server-not-found',
      `dialback ${type === 'invalid' ? 'refused' : `failed${condition === undefined ? '' : ` (${condition})`}`} by ${this.remote}`,
      'dialback',
    );
  }

  private upgrade(): void {
    const stream = this.stream!;
    stream.upgradeClient(this.ctx.clientTls(this.remote), this.ctx.config.connectTimeoutMs).then(
      (tls) => {
        if (this.settled) return;
        if (!this.checkCertificate(tls)) return;
        this.openStream();
      },
      (err: unknown) => {
        stream.destroy();
        this.setupFailed(
          'remote-server-not-found',
          `TLS with ${this.remote} failed: ${String(err)}`,
          'tls',
        );
      },
    );
  }

  private becomeReady(method: AuthMethod): void {
    this.state = 'ready';
    this.authMethod = method;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.mode === 'auth') {
      this.ctx.metrics.streamOpened(this.remote, 'out', method);
      this.log.info('outbound s2s stream authenticated', {
        method,
        bidi: this.bidiSent,
        certificate: this.certOk ? 'verified' : this.certReason,
      });
    }
    this.resolveReady();
  }

  private setupFailed(condition: DeliveryCondition, text: string, reason: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.mode === 'auth') this.ctx.metrics.failure(this.remote, reason);
    this.log.info('outbound s2s connection failed', { reason, text });
    this.failure = new S2sDeliveryError(condition, text);
    this.rejectReady(this.failure);
    if (this.stream !== undefined && !this.stream.ending)
      this.stream.fail('undefined-condition', text);
    else if (this.stream === undefined) this.finish();
  }

  private onVerifyAnswer(el: Element): void {
    const id = el.attr('id') ?? '';
    const pending = this.verifies.get(id);
    if (pending === undefined) return;
    this.verifies.delete(id);
    const type = el.attr('type');
    if (type === 'valid' || type === 'invalid') pending.resolve(type);
    else
      pending.reject(
        new S2sDeliveryError(
          'remote-server-not-found',
          `dialback verification error from ${this.remote}`,
        ),
      );
  }

  /** A stanza the remote sends back on our stream (XEP-0288). */
  private bidiStanza(el: Element): void {
    const from = tryParseJID(el.attr('from') ?? '');
    const to = tryParseJID(el.attr('to') ?? '');
    if (from === undefined || to === undefined) {
      return this.stream?.fail('improper-addressing', "stanzas need valid 'from' and 'to'");
    }
    if (from.domain !== this.remote)
      return this.stream?.fail('invalid-from', `only ${this.remote} is authenticated here`);
    if (to.domain !== this.local)
      return this.stream?.fail('host-unknown', `only ${this.local} is authenticated here`);
    const verdict = this.ctx.rate(this.remote);
    if (verdict.kind === 'exceeded')
      return this.stream?.fail('policy-violation', 'too many stanzas');
    this.stream?.touch();
    this.ctx.metrics.stanzaIn(this.remote);
    this.ctx.deliver(el, { from: this.remote, to: this.local });
  }

  private onStreamClosed(info: { error?: string; byPeer: boolean }): void {
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (wasReady && this.mode === 'auth')
      this.ctx.metrics.streamClosed(this.remote, 'out', this.authMethod);
    this.setupFailed(
      'remote-server-timeout',
      `the stream closed during setup${info.error === undefined ? '' : `: ${info.error}`}`,
      'closed',
    );
    for (const pending of this.verifies.values()) {
      pending.reject(new S2sDeliveryError('remote-server-timeout', 'verification stream closed'));
    }
    this.verifies.clear();
    this.log.debug('outbound s2s stream closed', info);
    this.finish();
  }

  private finished = false;

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    this.onClosed?.();
  }
}
