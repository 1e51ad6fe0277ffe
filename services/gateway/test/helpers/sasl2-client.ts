/**
 * A SASL2 (XEP-0388) client written against the XEPs for the gateway tests:
 * <authenticate/> with SCRAM (challenge and response) or with a FAST token
 * (XEP-0484, one round trip), a user-agent id and inline elements (Bind2,
 * XEP-0198, FAST), on a TestClient whose stream is open after STARTTLS.
 */
import {
  ScramClient,
  htInitialResponse,
  htResponderMessage,
  tlsChannelBinding,
} from '@parley/sasl';
import type { ChannelBindingType, HtMechanism, ScramHash } from '@parley/sasl';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { TestClient } from './test-client.js';

export const NS_SASL2 = 'urn:xmpp:sasl:2';
export const NS_BIND2 = 'urn:xmpp:bind:0';
export const NS_FAST = 'urn:xmpp:fast:0';

export interface Sasl2Options {
  /** The SASL2 <user-agent id/>. */
  agent?: string;
  /** Inline elements of the <authenticate/> (Bind2 <bind/>, <resume/>, <request-token/>). */
  inline?: Element[];
}

/** What the server answered, and everything the client saw of the exchange. */
export interface Sasl2Outcome {
  /** <success/> or <failure/>. */
  result: Element;
  /** Elements received from <authenticate/> to the result (challenges). */
  exchange: Element[];
  /** The <stream:features/> after a success. */
  features?: Element;
}

function userAgent(agent: string | undefined): Element | undefined {
  return agent === undefined
    ? undefined
    : xml('user-agent', { id: agent }, xml('software', null, 'parley-test'));
}

async function finish(
  client: TestClient,
  result: Element,
  exchange: Element[],
): Promise<Sasl2Outcome> {
  if (result.localName !== 'success') return { result, exchange };
  const features = await client.next();
  if (features.localName !== 'features') throw new Error(`expected features, got ${features}`);
  return { result, exchange, features };
}

/** SASL2 with SCRAM-SHA-256 (or -PLUS): the server's signature is checked. */
export async function sasl2Scram(
  client: TestClient,
  user: string,
  password: string,
  opts: Sasl2Options & { hash?: ScramHash; cbType?: ChannelBindingType } = {},
): Promise<Sasl2Outcome> {
  let cb: { type: ChannelBindingType; data: Buffer } | undefined;
  if (opts.cbType !== undefined) {
    const data = tlsChannelBinding(client.tlsSocket, 'client').get(opts.cbType);
    if (data === undefined) throw new Error(`no ${opts.cbType} binding`);
    cb = { type: opts.cbType, data };
  }
  const scram = new ScramClient(opts.hash ?? 'SHA-256', user, password, cb);
  client.send(
    xml(
      'authenticate',
      { xmlns: NS_SASL2, mechanism: scram.mechanism },
      xml('initial-response', null, scram.first().toString('base64')),
      userAgent(opts.agent),
      ...(opts.inline ?? []),
    ),
  );
  const exchange: Element[] = [];
  for (;;) {
    const el = await client.next();
    if (el.is('challenge', NS_SASL2)) {
      exchange.push(el);
      const final = await scram.finalAsync(Buffer.from(el.text(), 'base64'));
      client.send(xml('response', { xmlns: NS_SASL2 }, final.toString('base64')));
      continue;
    }
    if (el.is('success', NS_SASL2)) {
      const data = el.getChildText('additional-data');
      if (data === undefined || !scram.verify(Buffer.from(data, 'base64'))) {
        throw new Error('server signature did not verify');
      }
    }
    return finish(client, el, exchange);
  }
}

/** SASL2 with a FAST token: authenticate (and whatever is inline) in one request. */
export async function sasl2Fast(
  client: TestClient,
  user: string,
  token: string,
  opts: Sasl2Options & {
    mechanism?: HtMechanism;
    count?: number;
    invalidate?: boolean;
  } = {},
): Promise<Sasl2Outcome> {
  const mechanism = opts.mechanism ?? 'HT-SHA-256-NONE';
  const type: Record<HtMechanism, ChannelBindingType | undefined> = {
    'HT-SHA-256-NONE': undefined,
    'HT-SHA-256-ENDP': 'tls-server-end-point',
    'HT-SHA-256-EXPR': 'tls-exporter',
    'HT-SHA-256-UNIQ': 'tls-unique',
  };
  const t = type[mechanism];
  const cb = t === undefined ? undefined : tlsChannelBinding(client.tlsSocket, 'client').get(t);
  client.send(
    xml(
      'authenticate',
      { xmlns: NS_SASL2, mechanism },
      xml('initial-response', null, htInitialResponse(user, token, cb).toString('base64')),
      userAgent(opts.agent),
      xml('fast', {
        xmlns: NS_FAST,
        count: opts.count,
        invalidate: opts.invalidate ? 'true' : undefined,
      }),
      ...(opts.inline ?? []),
    ),
  );
  const result = await client.next();
  if (result.is('success', NS_SASL2)) {
    const data = Buffer.from(result.getChildText('additional-data') ?? '', 'base64');
    if (!data.equals(htResponderMessage(token, cb)))
      throw new Error('responder message did not verify');
  }
  return finish(client, result, []);
}

/** The FAST token of a success, if any. */
export function tokenOf(success: Element): { token: string; expiry: string } | undefined {
  const t = success.getChild('token', NS_FAST);
  const token = t?.attr('token');
  const expiry = t?.attr('expiry');
  return token === undefined || expiry === undefined ? undefined : { token, expiry };
}

/** The defined condition of a SASL2 failure. */
export function failureCondition(failure: Element): string | undefined {
  return failure.getChildElements().find((c) => c.localName !== 'text')?.localName;
}

/** A Bind2 request with a tag and inline elements. */
export function bindRequest(tag: string | undefined, ...inline: Element[]): Element {
  return xml('bind', { xmlns: NS_BIND2 }, tag !== undefined && xml('tag', null, tag), ...inline);
}
