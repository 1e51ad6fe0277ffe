/**
 * The receiving server's side of a server-to-server stream (RFC 6120
 * sections 4-6; XEP-0220 Server Dialback sections 2.1-2.4; XEP-0178 SASL
 * EXTERNAL for servers; XEP-0288 bidirectional streams; XEP-0368 direct TLS):
 * stream header and features, STARTTLS, SASL EXTERNAL, dialback requests
 * (verified with the authoritative server, several domain pairs per stream),
 * dialback verification requests (we are the authoritative server), and the
 * addressing checks on every stanza.
 * https://www.rfc-editor.org/rfc/rfc6120
 * https://xmpp.org/extensions/xep-0220.html
 * https://xmpp.org/extensions/xep-0288.html
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { normalizeDomain } from '@parley/jid';
import { NS_SASL, NS_STANZAS, NS_STREAM, NS_TLS } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import type { Logger } from '@parley/telemetry';
import { escapeAttr } from '@parley/xml';
import type { Element, StreamHeader } from '@parley/xml';
import { peerIdentity } from './certificates.js';
import type { PeerIdentity } from './certificates.js';
import type { EngineContext, StanzaSink } from './context.js';
import { dialbackKeyMatches } from './dialback-key.js';
import type { AuthMethod } from './metrics.js';
import { NS_DIALBACK, S2sStream, checkS2sHeader, newStreamId } from './s2s-stream.js';
import { checkRoute, isStanza } from './stanza-route.js';

export const NS_DIALBACK_FEATURE = 'urn:xmpp:features:dialback';
export const NS_BIDI_FEATURE = 'urn:xmpp:features:bidi';
export const NS_BIDI = 'urn:xmpp:bidi';

function normalize(domain: string | undefined): string | undefined {
  if (domain === undefined) return undefined;
  try {
    return normalizeDomain(domain);
  } catch {
    return undefined;
  }
}

export class InboundStream implements StanzaSink {
  readonly stream: S2sStream;
  private readonly log: Logger;
  private streamId = '';
  /** Our domain named in the header's 'to'. */
  private local: string | undefined;
  /** The peer's domain named in the header's 'from'. */
  private headerFrom: string | undefined;
  private state: 'header' | 'negotiating' | 'tls' | 'sasl-restart' = 'header';
  private saslDone = false;
  private bidi = false;
  private identity: PeerIdentity | undefined;
  /** remote domain -> local domains it is authenticated for, and how. */
  private readonly authed = new Map<string, Map<string, AuthMethod>>();
  private readonly pending = new Set<string>();
  private readonly setupTimer: NodeJS.Timeout;
  private throttled = false;

  constructor(
    private readonly ctx: EngineContext,
    socket: Socket,
    secure: boolean,
  ) {
    this.log = ctx.logger.child({
      s2s: 'in',
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
    });
    this.stream = new S2sStream(
      socket,
      {
        maxStanzaBytes: ctx.config.maxStanzaBytes,
        idleTimeoutMs: ctx.config.idleTimeoutMs,
        logger: this.log,
        secure,
      },
      {
        header: (h) => this.onHeader(h),
        element: (el) => this.onElement(el),
        closed: (info) => this.onClosed(info),
        idle: () => this.stream.fail('connection-timeout', 'no stanza for too long'),
      },
    );
    this.setupTimer = setTimeout(() => {
      if (this.authed.size === 0)
        this.stream.fail('connection-timeout', 'authentication took too long');
    }, ctx.config.connectTimeoutMs);
  }

  get usable(): boolean {
    return !this.stream.ending && !this.stream.closed;
  }

  /** Authenticated remote domains (for tests and the engine). */
  remoteDomains(): string[] {
    return [...this.authed.keys()];
  }

  close(): void {
    this.stream.close();
  }

  sendStanza(xml: string, cb: (err?: Error | null) => void): void {
    this.stream.touch();
    this.stream.write(xml, cb);
  }

  private fail(condition: StreamErrorCondition, text: string): void {
    this.log.info('closing inbound s2s stream with an error', { condition, text });
    this.stream.fail(condition, text, {
      from: this.local,
      to: this.headerFrom,
      id: this.streamId || newStreamId(),
    });
  }

  // --- stream header and features ---------------------------------------------

  private onHeader(header: StreamHeader): void {
    if (this.state === 'tls') return;
    this.streamId = newStreamId();
    const to = normalize(header.attrs['to']);
    const fromAttr = header.attrs['from'];
    const from = normalize(fromAttr);
    const check = checkS2sHeader(header);
    if (!check.ok) return this.fail(check.condition, check.text);
    if (to === undefined || !this.ctx.isLocalDomain(to)) {
      return this.fail('host-unknown', `${header.attrs['to'] ?? "(no 'to')"} is not served here`);
    }
    if (fromAttr !== undefined && from === undefined)
      return this.fail('invalid-from', "'from' is not a valid domain");
    if (this.saslDone && (to !== this.local || from !== this.headerFrom)) {
      return this.fail('invalid-from', 'the stream addresses changed on restart');
    }
    if (from !== undefined && !this.ctx.isRemoteAllowed(from)) {
      this.local = to;
      return this.fail('policy-violation', `federation with ${from} is not allowed`);
    }
    this.local = to;
    this.headerFrom = from;
    this.stream.sendHeader({ from: to, to: from, id: this.streamId });
    this.state = 'negotiating';
    const cfg = this.ctx.config;
    if (this.stream.secure && this.identity === undefined) {
      this.identity =
        from === undefined ? undefined : peerIdentity(this.stream.socket as TLSSocket, from);
    }
    const certOk = this.identity !== undefined && this.identity.trusted && this.identity.matches;
    let features = '';
    if (!this.stream.secure) {
      features += `<starttls xmlns='${NS_TLS}'>${cfg.requireTls ? '<required/>' : ''}</starttls>`;
    }
    if (this.stream.secure || !cfg.requireTls) {
      if (cfg.secureAuth && !certOk && this.authed.size === 0 && this.stream.secure) {
        return this.fail(
          'policy-violation',
          `a trusted certificate for ${from ?? "the stream's 'from'"} is required: ${this.identity?.reason ?? "no 'from'"}`,
        );
      }
      if (certOk && !this.saslDone) {
        features += `<mechanisms xmlns='${NS_SASL}'><mechanism>EXTERNAL</mechanism></mechanisms>`;
      }
      if (!cfg.secureAuth)
        features += `<dialback xmlns='${NS_DIALBACK_FEATURE}'><errors/></dialback>`;
      if (this.authed.size === 0 && !this.saslDone)
        features += `<bidi xmlns='${NS_BIDI_FEATURE}'/>`;
    }
    this.stream.write(`<stream:features>${features}</stream:features>`);
  }

  // --- elements ------------------------------------------------------------------

  private onElement(el: Element): void {
    if (this.state === 'tls' || this.state === 'header') return;
    const ns = el.getNS();
    if (ns === NS_TLS && el.localName === 'starttls') return this.startTls();
    if (ns === NS_SASL && el.localName === 'auth') return this.saslAuth(el);
    if (ns === NS_BIDI && el.localName === 'bidi') {
      if (this.authed.size === 0) this.bidi = true;
      return;
    }
    if (ns === NS_DIALBACK && el.localName === 'result' && el.attr('type') === undefined) {
      return this.dialbackRequest(el);
    }
    if (ns === NS_DIALBACK && el.localName === 'verify' && el.attr('type') === undefined) {
      return this.verifyRequest(el);
    }
    if (ns === NS_STREAM && el.localName === 'error') {
      this.log.info('the remote server sent a stream error', { error: el.toString() });
      return;
    }
    if (isStanza(el)) return this.stanza(el);
    this.fail('unsupported-stanza-type', `<${el.name}/> is not expected here`);
  }

  private tlsRequired(): boolean {
    if (this.ctx.config.requireTls && !this.stream.secure) {
      this.fail('policy-violation', 'this server requires STARTTLS first');
      return true;
    }
    return false;
  }

  private startTls(): void {
    if (this.stream.secure) return this.fail('policy-violation', 'the stream is already encrypted');
    this.state = 'tls';
    const socket = this.stream.socket;
    socket.pause();
    this.stream.write(`<proceed xmlns='${NS_TLS}'/>`, (err) => {
      if (err) return this.stream.destroy();
      this.stream.upgradeServer(this.ctx.serverTls, this.ctx.config.connectTimeoutMs).then(
        () => {
          this.state = 'header';
        },
        (tlsErr: unknown) => {
          this.log.info('inbound STARTTLS failed', { err: tlsErr });
          this.stream.destroy();
        },
      );
    });
  }

  private saslAuth(el: Element): void {
    if (this.tlsRequired()) return;
    const from = this.headerFrom;
    const local = this.local!;
    const certOk = this.identity !== undefined && this.identity.trusted && this.identity.matches;
    const failure = (condition: string): void => {
      this.stream.write(`<failure xmlns='${NS_SASL}'><${condition}/></failure>`);
    };
    if (el.attr('mechanism') !== 'EXTERNAL') return failure('invalid-mechanism');
    if (this.saslDone || from === undefined || !certOk) return failure('not-authorized');
    const text = el.text().trim();
    if (text !== '' && text !== '=') {
      const authzid = normalize(Buffer.from(text, 'base64').toString('utf8'));
      if (authzid !== from) return failure('invalid-authzid');
    }
    if (!this.authorize(from, local, 'sasl')) return;
    this.saslDone = true;
    this.state = 'header';
    this.stream.write(`<success xmlns='${NS_SASL}'/>`);
    this.stream.restart();
  }

  /** Records an authenticated pair; false (and the stream closed) when the per-domain limit is hit. */
  private authorize(remote: string, local: string, method: AuthMethod): boolean {
    const first = !this.authed.has(remote);
    if (
      first &&
      !this.ctx.inboundAuthenticated(this, remote, local, this.bidi ? this : undefined)
    ) {
      this.fail('policy-violation', `too many streams from ${remote}`);
      return false;
    }
    if (!first) this.ctx.inboundAuthenticated(this, remote, local, this.bidi ? this : undefined);
    let locals = this.authed.get(remote);
    if (locals === undefined) {
      locals = new Map();
      this.authed.set(remote, locals);
    }
    if (!locals.has(local)) this.ctx.metrics.streamOpened(remote, 'in', method);
    locals.set(local, method);
    clearTimeout(this.setupTimer);
    this.log.info('inbound s2s stream authenticated', { remote, local, method, bidi: this.bidi });
    return true;
  }

  private dialbackAnswer(
    el: 'result' | 'verify',
    from: string,
    to: string,
    type: 'valid' | 'invalid' | 'error',
    extra = '',
    errorXml = '',
  ): void {
    this.stream.write(
      `<db:${el} from='${escapeAttr(from)}' to='${escapeAttr(to)}'${extra} type='${type}'${errorXml === '' ? '/>' : `>${errorXml}</db:${el}>`}`,
    );
  }

  private dialbackError(
    el: 'result' | 'verify',
    from: string,
    to: string,
    type: string,
    condition: string,
    extra = '',
  ): void {
    this.dialbackAnswer(
      el,
      from,
      to,
      'error',
      extra,
      `<error type='${type}'><${condition} xmlns='${NS_STANZAS}'/></error>`,
    );
  }

  /** `<db:result from='originating' to='receiving'>key</db:result>` (XEP-0220 2.1.1 step 1). */
  private dialbackRequest(el: Element): void {
    if (this.tlsRequired()) return;
    const fromAttr = el.attr('from') ?? '';
    const toAttr = el.attr('to') ?? '';
    const remote = normalize(fromAttr);
    const local = normalize(toAttr);
    if (remote === undefined || local === undefined) {
      return this.fail('improper-addressing', "<db:result/> needs valid 'from' and 'to' domains");
    }
    if (this.ctx.config.secureAuth) {
      return this.dialbackError('result', local, remote, 'cancel', 'policy-violation');
    }
    if (!this.ctx.isLocalDomain(local))
      return this.dialbackError('result', local, remote, 'cancel', 'item-not-found');
    if (!this.ctx.isRemoteAllowed(remote)) {
      this.ctx.metrics.dialback(remote, 'receiving', 'refused');
      return this.dialbackError('result', local, remote, 'cancel', 'policy-violation');
    }
    const pair = `${remote} ${local}`;
    if (this.authed.get(remote)?.has(local) === true) {
      return this.dialbackAnswer('result', local, remote, 'valid');
    }
    if (this.pending.has(pair)) return;
    // XEP-0344: a trusted certificate that names the domain is enough.
    if (this.stream.secure) {
      const id = peerIdentity(this.stream.socket as TLSSocket, remote);
      if (id.trusted && id.matches) {
        this.ctx.metrics.dialback(remote, 'receiving', 'valid-certificate');
        if (this.authorize(remote, local, 'dialback'))
          this.dialbackAnswer('result', local, remote, 'valid');
        return;
      }
    }
    this.pending.add(pair);
    const key = el.text().trim();
    this.ctx.verifyDialback(local, remote, this.streamId, key).then(
      (verdict) => {
        this.pending.delete(pair);
        if (!this.usable) return;
        this.ctx.metrics.dialback(remote, 'receiving', verdict);
        if (verdict === 'valid') {
          if (this.authorize(remote, local, 'dialback'))
            this.dialbackAnswer('result', local, remote, 'valid');
          return;
        }
        this.log.info('dialback key refused by the authoritative server', { remote, local });
        this.dialbackAnswer('result', local, remote, 'invalid');
        if (this.authed.size === 0 && this.pending.size === 0)
          this.fail('not-authorized', 'dialback failed');
      },
      (err: unknown) => {
        this.pending.delete(pair);
        if (!this.usable) return;
        const condition =
          err instanceof Error && 'condition' in err && err.condition === 'remote-server-timeout'
            ? 'remote-server-timeout'
            : 'remote-server-not-found';
        this.ctx.metrics.dialback(remote, 'receiving', 'error');
        this.log.info('dialback verification failed', { remote, local, err });
        this.dialbackError(
          'result',
          local,
          remote,
          condition === 'remote-server-timeout' ? 'wait' : 'cancel',
          condition,
        );
      },
    );
  }

  /** `<db:verify from='receiving' to='originating' id='...'>key</db:verify>`: we are authoritative (step 2). */
  private verifyRequest(el: Element): void {
    if (this.tlsRequired()) return;
    const receiving = normalize(el.attr('from'));
    const originating = normalize(el.attr('to'));
    const id = el.attr('id');
    if (receiving === undefined || originating === undefined || id === undefined) {
      return this.fail('improper-addressing', "<db:verify/> needs 'from', 'to' and 'id'");
    }
    const idAttr = ` id='${escapeAttr(id)}'`;
    if (!this.ctx.isLocalDomain(originating)) {
      return this.dialbackError(
        'verify',
        originating,
        receiving,
        'cancel',
        'item-not-found',
        idAttr,
      );
    }
    const ok = dialbackKeyMatches(this.ctx.dialbackSecret, receiving, originating, id, el.text());
    this.ctx.metrics.dialback(receiving, 'authoritative', ok ? 'valid' : 'invalid');
    this.dialbackAnswer('verify', originating, receiving, ok ? 'valid' : 'invalid', idAttr);
  }

  // --- stanzas -------------------------------------------------------------------

  private stanza(el: Element): void {
    if (this.authed.size === 0)
      return this.fail('not-authorized', 'authenticate before sending stanzas');
    const route = checkRoute(
      el,
      (d) => this.ctx.isLocalDomain(d),
      (from, to) => this.authed.get(from)?.has(to) === true,
      (from) => this.authed.has(from),
    );
    if (!route.ok) return this.fail(route.condition, route.text);
    const verdict = this.ctx.rate(route.from);
    if (verdict.kind === 'exceeded') {
      return this.fail(
        'policy-violation',
        `more than ${this.ctx.config.stanzasPerSecond} stanzas per second`,
      );
    }
    if (verdict.kind === 'wait' && !this.throttled) {
      this.throttled = true;
      this.stream.socket.pause();
      setTimeout(() => {
        this.throttled = false;
        if (this.usable && this.state === 'negotiating') this.stream.socket.resume();
      }, verdict.ms);
    }
    this.stream.touch();
    this.ctx.metrics.stanzaIn(route.from);
    this.ctx.deliver(el, { from: route.from, to: route.to });
  }

  private onClosed(info: { error?: string; byPeer: boolean }): void {
    clearTimeout(this.setupTimer);
    for (const [remote, locals] of this.authed) {
      for (const method of locals.values()) this.ctx.metrics.streamClosed(remote, 'in', method);
    }
    this.ctx.inboundClosed(this);
    this.log.debug('inbound s2s stream closed', { ...info, remotes: [...this.authed.keys()] });
  }
}
