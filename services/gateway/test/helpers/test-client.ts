/**
 * A raw XMPP client for the gateway tests: a real TCP socket (optionally
 * TLS), the project's own StreamFramer to read the server, and explicit
 * steps (open, STARTTLS, SASL, bind) so each test sees every element.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { ScramClient, tlsChannelBinding } from '@parley/sasl';
import type { ChannelBindingType, ScramHash } from '@parley/sasl';
import { NS_BIND, NS_SASL, NS_STREAM, NS_STREAMS, NS_TLS } from '@parley/stanza';
import { StreamFramer, xml } from '@parley/xml';
import type { Element, StreamHeader, XmlError } from '@parley/xml';
import { TIMEOUT_MS, Waiter } from './waiter.js';

export interface ConnectOptions {
  /** Direct TLS (XEP-0368). */
  tls?: boolean;
  alpn?: string[];
  /** Bytes sent first on the TCP connection (a PROXY protocol header), before any TLS. */
  proxyHeader?: Buffer;
}

export class TestClient {
  socket: Socket;
  readonly headers: StreamHeader[] = [];
  private readonly inbox: Element[] = [];
  streamClosed = false;
  socketClosed = false;
  parseError: XmlError | undefined;
  /** Everything received, as text (for assertions on raw output such as keepalives). */
  raw = '';
  private readonly framer: StreamFramer;
  private readonly waiter = new Waiter(() => this.raw);

  private constructor(socket: Socket) {
    this.socket = socket;
    this.framer = new StreamFramer(
      {
        streamOpen: (h) => {
          this.headers.push(h);
          this.notify();
        },
        stanza: (el) => {
          this.inbox.push(el);
          this.notify();
        },
        streamClose: () => {
          this.streamClosed = true;
          this.notify();
        },
        error: (err) => {
          this.parseError = err;
          this.notify();
        },
      },
      { limits: { maxStanzaBytes: 16 * 1024 * 1024 } },
    );
    this.listen(socket);
  }

  static async connect(port: number, opts: ConnectOptions = {}): Promise<TestClient> {
    let raw: Socket | undefined;
    if (opts.proxyHeader !== undefined) {
      raw = netConnect({ port, host: '127.0.0.1' });
      raw.write(opts.proxyHeader);
      if (!opts.tls) {
        await new Promise<void>((resolve, reject) => {
          raw!.once('connect', () => resolve());
          raw!.once('error', reject);
        });
        return new TestClient(raw);
      }
    }
    const socket: Socket = opts.tls
      ? tlsConnect({
          ...(raw === undefined ? { port, host: '127.0.0.1' } : { socket: raw }),
          servername: 'localhost',
          rejectUnauthorized: false,
          ...(opts.alpn && { ALPNProtocols: opts.alpn }),
        })
      : netConnect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.raw += chunk.toString('utf8');
      this.framer.write(chunk);
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  private notify(): void {
    this.waiter.changed();
  }

  /** Waits until `check` returns a value (re-checked on every event). */
  until<T>(check: () => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    return this.waiter.until(check, what, timeoutMs);
  }

  send(data: string | Element): void {
    this.socket.write(typeof data === 'string' ? data : data.toString());
  }

  /** Next top-level element from the server. */
  next(timeoutMs = TIMEOUT_MS): Promise<Element> {
    return this.until(() => this.inbox.shift(), 'the next element', timeoutMs);
  }

  /** First buffered or future element matching `pred` (others stay queued). */
  nextMatching(
    pred: (el: Element) => boolean,
    what: string,
    timeoutMs = TIMEOUT_MS,
  ): Promise<Element> {
    return this.until(
      () => {
        const i = this.inbox.findIndex(pred);
        return i === -1 ? undefined : this.inbox.splice(i, 1)[0];
      },
      what,
      timeoutMs,
    );
  }

  /** Sends a stream header; resolves with the features. */
  async open(to = 'localhost', extra = ''): Promise<Element> {
    const before = this.headers.length;
    this.send(
      `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAM}' to='${to}' version='1.0' xml:lang='en'${extra}>`,
    );
    await this.until(() => (this.headers.length > before ? true : undefined), 'the stream header');
    const features = await this.next();
    if (features.localName !== 'features') {
      throw new Error(`expected features, got ${features.toString()}`);
    }
    return features;
  }

  /** Waits for a stream error and the end of the stream; returns the condition. */
  async streamError(timeoutMs = TIMEOUT_MS): Promise<string> {
    const el = await this.nextMatching((e) => e.localName === 'error', 'a stream error', timeoutMs);
    const condition = el
      .getChildElements()
      .find((c) => c.getNS() === NS_STREAMS && c.localName !== 'text');
    await this.closed(timeoutMs);
    return condition?.localName ?? '(none)';
  }

  /** Resolves once the server closed its stream and the socket. */
  async closed(timeoutMs = TIMEOUT_MS): Promise<void> {
    await this.until(
      () => (this.socketClosed ? true : undefined),
      'the socket to close',
      timeoutMs,
    );
  }

  async starttls(): Promise<void> {
    this.send(xml('starttls', { xmlns: NS_TLS }));
    const proceed = await this.next();
    if (!proceed.is('proceed', NS_TLS)) {
      throw new Error(`expected proceed, got ${proceed.toString()}`);
    }
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({
      socket: plain,
      servername: 'localhost',
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.framer.reset();
    this.listen(secure);
  }

  /** Expect a new stream from the server (after SASL success). */
  restart(): void {
    this.framer.reset();
  }

  get tlsSocket(): TLSSocket {
    return this.socket as TLSSocket;
  }

  /** Runs a SCRAM exchange; resolves with the final <success/> or <failure/>. */
  async scram(
    username: string,
    password: string,
    hash: ScramHash = 'SHA-256',
    cbType?: ChannelBindingType,
  ): Promise<Element> {
    let cb: { type: ChannelBindingType; data: Buffer } | undefined;
    if (cbType !== undefined) {
      const data = tlsChannelBinding(this.tlsSocket, 'client').get(cbType);
      if (data === undefined) throw new Error(`no ${cbType} binding on this connection`);
      cb = { type: cbType, data };
    }
    const client = new ScramClient(hash, username, password, cb);
    this.send(
      xml(
        'auth',
        { xmlns: NS_SASL, mechanism: client.mechanism },
        client.first().toString('base64'),
      ),
    );
    const challenge = await this.next();
    if (!challenge.is('challenge', NS_SASL)) return challenge;
    const final = await client.finalAsync(Buffer.from(challenge.text(), 'base64'));
    this.send(xml('response', { xmlns: NS_SASL }, final.toString('base64')));
    const outcome = await this.next();
    if (outcome.is('success', NS_SASL)) {
      if (!client.verify(Buffer.from(outcome.text(), 'base64'))) {
        throw new Error('server signature did not verify');
      }
      this.restart();
    }
    return outcome;
  }

  /** Binds a resource after SASL success (opens the restarted stream first); resolves with the bind reply. */
  async bind(resource?: string, id = 'bind1'): Promise<Element> {
    this.send(
      xml(
        'iq',
        { type: 'set', id },
        xml('bind', { xmlns: NS_BIND }, resource !== undefined && xml('resource', null, resource)),
      ),
    );
    return this.nextMatching((e) => e.name === 'iq' && e.attr('id') === id, `the reply to ${id}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The `<jid/>` of a bind result. */
export function boundJid(reply: Element): string | undefined {
  return reply.getChild('bind', NS_BIND)?.getChildText('jid');
}

/** The defined condition of a stanza error reply. */
export function errorCondition(stanza: Element): string | undefined {
  return stanza
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.localName !== 'text')?.localName;
}
