import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { client } from '@xmpp/client';
import type { Element } from '@xmpp/client';

process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';

export type XmppClient = ReturnType<typeof client>;

/**
 * SCRAM-SHA-256 client mechanism for @xmpp/client's SASL factory (the
 * library ships SCRAM-SHA-1 only), written against RFC 5802/7677.
 */
class ScramSha256 {
  name = 'SCRAM-SHA-256';
  clientFirst = true;
  private stage = 0;
  private nonce = randomBytes(18).toString('base64');
  private firstBare = '';
  private serverSignature = '';
  private serverFirst = '';

  response(cred: { username: string; password: string }): string {
    if (this.stage === 0) {
      this.stage = 1;
      this.firstBare = `n=${cred.username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
      return `n,,${this.firstBare}`;
    }
    const attrs = new Map(this.serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)] as const));
    const r = attrs.get('r') ?? '';
    if (!r.startsWith(this.nonce)) throw new Error('bad server nonce');
    const salted = pbkdf2Sync(
      cred.password,
      Buffer.from(attrs.get('s') ?? '', 'base64'),
      Number(attrs.get('i')),
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.firstBare},${this.serverFirst},${withoutProof}`;
    const sig = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.serverSignature = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  challenge(chal: string): this {
    if (this.stage === 1) this.serverFirst = chal;
    else if (chal.startsWith('v=') && chal.slice(2) !== this.serverSignature)
      throw new Error('bad server signature');
    this.stage++;
    return this;
  }
}

export interface ConnectOptions {
  port: number;
  /**
   * Service URL instead of STARTTLS on `port`, e.g. a ws:// or wss:// endpoint
   * (RFC 7395; needs a global WebSocket, see websocket.test.ts).
   */
  service?: string;
  /** The server's domain (default localhost). */
  domain?: string;
  username: string;
  password?: string;
  resource?: string;
  mechanism?: 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
  /**
   * Let the client use SASL2 (XEP-0388) with Bind2, as @xmpp/client does by
   * default: the server then generates the resource (`<resource>/<id>`).
   * Default false: these tests are about RFC 6120/6121 sessions and name
   * them by the resource they ask for, so the client is kept on RFC 6120
   * SASL and resource binding (the server's SASL2 feature is hidden from
   * it). SASL2 with @xmpp/client's defaults: services/gateway/test/xmpp-client*.
   */
  sasl2?: boolean;
}

const NS_STREAMS = 'http://etherx.jabber.org/streams';
const NS_SASL2 = 'urn:xmpp:sasl:2';

/** Keeps a client on RFC 6120 SASL: its own handlers never see the server's SASL2 feature. */
export function hideSasl2(xmpp: XmppClient): void {
  xmpp.prependListener('element', (el: Element) => {
    if (!el.is('features', NS_STREAMS)) return;
    el.children = el.children.filter(
      (c) => typeof c === 'string' || !c.is('authentication', NS_SASL2),
    );
  });
}

/** Connects and logs in an @xmpp/client over STARTTLS (or `service`); resolves once online. */
export async function connect(opts: ConnectOptions): Promise<XmppClient> {
  const xmpp = client({
    service: opts.service ?? `xmpp://127.0.0.1:${opts.port}`,
    domain: opts.domain ?? 'localhost',
    username: opts.username,
    password: opts.password ?? 'secret',
    ...(opts.resource ? { resource: opts.resource } : {}),
  });
  const factory = xmpp.saslFactory as unknown as {
    _mechs: Array<{ name: string; mech: unknown }>;
    use(m: unknown): void;
  };
  if (opts.mechanism === 'SCRAM-SHA-256')
    factory._mechs.unshift({ name: 'SCRAM-SHA-256', mech: ScramSha256 });
  if (opts.sasl2 !== true) hideSasl2(xmpp);
  xmpp.on('error', () => {});
  xmpp.reconnect.stop();
  await xmpp.start();
  return xmpp;
}

/** Resolves with the first stanza matching `pred` (arriving after the call). */
export function waitFor(
  xmpp: XmppClient,
  pred: (el: Element) => boolean,
  timeoutMs = 5000,
): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.removeListener('stanza', on);
      reject(new Error('timed out waiting for a stanza'));
    }, timeoutMs);
    const on = (el: Element) => {
      if (!pred(el)) return;
      clearTimeout(timer);
      xmpp.removeListener('stanza', on);
      resolve(el);
    };
    xmpp.on('stanza', on);
  });
}

/** Collects every stanza until stopped. */
export function collect(xmpp: XmppClient): { stanzas: Element[]; stop(): void } {
  const stanzas: Element[] = [];
  const on = (el: Element) => stanzas.push(el);
  xmpp.on('stanza', on);
  return { stanzas, stop: () => xmpp.removeListener('stanza', on) };
}
