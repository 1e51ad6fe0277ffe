/**
 * A raw XEP-0124/0206 client for tests: one POST per call, with the rid it
 * is told (or the next one), parsing each response `<body/>`.
 */
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';

export interface BoshResponse {
  status: number;
  headers: Headers;
  text: string;
  body: Element;
}

export async function post(
  url: string,
  text: string,
  headers: Record<string, string> = {},
): Promise<BoshResponse> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers },
    body: text,
  });
  const got = await r.text();
  return {
    status: r.status,
    headers: r.headers,
    text: got,
    body: parseXml(got, { maxStanzaBytes: 4 << 20 }),
  };
}

export class BoshTestClient {
  sid = '';
  rid: number;
  /** Where requests go (another gateway of the cluster may be set between requests). */
  url: string;

  constructor(url: string, firstRid = 1_000_000 + Math.floor(Math.random() * 1_000_000)) {
    this.url = url;
    this.rid = firstRid;
  }

  /** The session creation request; resolves with the response body. */
  async create(attrs: Record<string, string> = {}): Promise<Element> {
    const a = {
      to: 'localhost',
      wait: '60',
      hold: '1',
      'xml:lang': 'en',
      'xmpp:version': '1.0',
      ...attrs,
    };
    const r = await post(this.url, this.wrap({ rid: String(this.rid), ...a }, ''));
    const sid = r.body.attr('sid');
    if (sid !== undefined) this.sid = sid;
    return r.body;
  }

  /** `<body/>` with our sid and the given attributes around `payload`. */
  wrap(attrs: Record<string, string>, payload: string): string {
    const all: Record<string, string> = { ...(this.sid !== '' && { sid: this.sid }), ...attrs };
    const list = Object.entries(all)
      .map(([k, v]) => ` ${k}='${v}'`)
      .join('');
    return `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}'${list}>${payload}</body>`;
  }

  /** A request with the next rid (or `rid`), returning its response. */
  send(payload = '', attrs: Record<string, string> = {}, rid?: number): Promise<BoshResponse> {
    const r = rid ?? ++this.rid;
    return post(this.url, this.wrap({ rid: String(r), ...attrs }, payload));
  }

  /** SASL PLAIN, the restart, and resource binding: resolves with the full JID. */
  async login(user: string, password: string, resource: string): Promise<string> {
    await this.authenticate(user, password);
    const bind = await this.send(
      `<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='${NS_BIND}'><resource>${resource}</resource></bind></iq>`,
    );
    const jid = bind.body.getChild('iq')?.getChild('bind', NS_BIND)?.getChildText('jid');
    if (jid === undefined) throw new Error(`bind failed: ${bind.text}`);
    return jid;
  }

  /** SASL PLAIN and the stream restart: authenticated, no resource bound. */
  async authenticate(user: string, password: string): Promise<void> {
    const creds = Buffer.from(`\u0000${user}\u0000${password}`).toString('base64');
    const auth = await this.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${creds}</auth>`);
    if (auth.body.getChild('success', NS_SASL) === undefined) {
      throw new Error(`login failed: ${auth.text}`);
    }
    const restart = await this.send('', { 'xmpp:restart': 'true', to: 'localhost' });
    if (restart.body.getChild('features', 'http://etherx.jabber.org/streams') === undefined) {
      throw new Error(`no features after restart: ${restart.text}`);
    }
  }
}
