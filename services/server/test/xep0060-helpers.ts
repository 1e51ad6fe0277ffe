/**
 * Helpers of the pubsub/PEP scenario tests (XEP-0060, XEP-0163 and what is
 * built on them): request builders, event predicates and a client that
 * announces entity capabilities (XEP-0115) and answers the server's
 * disco#info query about them.
 */
import { createHash } from 'node:crypto';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import type { Peer, Pred } from './scenario-helpers.js';
import { isPresence } from './scenario-helpers.js';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_DATA = 'jabber:x:data';
export const NS_DELAY = 'urn:xmpp:delay';

/** A data form of type submit with FORM_TYPE and the given fields. */
export function form(formType: string, fields: Record<string, string | string[]>): Element {
  const x = xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
  );
  for (const [k, v] of Object.entries(fields))
    x.children.push(
      xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s))),
    );
  return x;
}

export function publishOptions(fields: Record<string, string>): Element {
  return xml(
    'publish-options',
    {},
    form('http://jabber.org/protocol/pubsub#publish-options', fields),
  );
}

/** `<pubsub><publish node><item id>payload</item></publish>[options]</pubsub>` */
export function publishRequest(
  node: string,
  id: string | undefined,
  payload: Element,
  options?: Element,
): Element {
  const children: Element[] = [
    xml('publish', { node }, xml('item', id !== undefined ? { id } : {}, payload)),
  ];
  if (options) children.push(options);
  return xml('pubsub', { xmlns: NS_PUBSUB }, ...children);
}

export async function publish(
  peer: Peer,
  to: string | undefined,
  node: string,
  id: string | undefined,
  payload: Element,
  options?: Element,
): Promise<Element> {
  return peer.iq('set', to, publishRequest(node, id, payload, options));
}

export async function itemsOf(
  peer: Peer,
  to: string | undefined,
  node: string,
  attrs: Record<string, string> = {},
): Promise<Element> {
  return peer.iq('get', to, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node, ...attrs })));
}

export function itemIds(reply: Element): string[] {
  return (reply.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? []).map(
    (i) => i.attrs.id as string,
  );
}

/** The pubsub-specific condition of an error reply (`<precondition-not-met/>`…). */
export function pubsubCondition(el: Element): string | undefined {
  const err = el.getChild('error');
  const c = err?.children.find(
    (c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_PUBSUB_ERRORS,
  );
  return c?.name;
}

/** An event notification (message with <event/>) about `node`, optionally from `from`. */
export function isEvent(node: string, from?: string, kind = 'items'): Pred {
  return (el) =>
    el.is('message') &&
    (from === undefined || el.attrs.from === from) &&
    el.getChild('event', NS_PUBSUB_EVENT)?.getChild(kind)?.attrs.node === node;
}

export function eventItems(el: Element): Element[] {
  return el.getChild('event', NS_PUBSUB_EVENT)?.getChild('items')?.getChildren('item') ?? [];
}

/**
 * Makes the client announce entity capabilities with these features (for
 * example 'urn:example:tune+notify'): answers disco#info queries (about its
 * caps node#ver or without node) and returns the `<c/>` element to put in
 * presence, with a correct XEP-0115 sha-1 ver. `asked` counts the queries.
 */
export function announceCaps(
  peer: Peer,
  features: string[],
): { c: () => Element; asked: () => number } {
  const node = 'https://parley.example/test-client';
  const all = [...new Set([NS_DISCO_INFO, NS_CAPS, ...features])].sort();
  const identity = { category: 'client', type: 'pc', name: 'parley-test' };
  const s = `${identity.category}/${identity.type}//${identity.name}<${all.map((f) => `${f}<`).join('')}`;
  const ver = createHash('sha1').update(s, 'utf8').digest('base64');
  let asked = 0;
  const callee = (peer.xmpp as unknown as { iqCallee: IqCallee }).iqCallee;
  callee.get(NS_DISCO_INFO, 'query', (ctx: { element: Element }) => {
    asked++;
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO, node: ctx.element.attrs.node },
      xml('identity', identity),
      ...all.map((f) => xml('feature', { var: f })),
    );
  });
  return {
    c: () => xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node, ver }),
    asked: () => asked,
  };
}

interface IqCallee {
  get(ns: string, name: string, handler: (ctx: { element: Element }) => Element): void;
}

/** Sends available presence with extra children and waits until it is reflected. */
export async function availableWith(peer: Peer, ...children: Element[]): Promise<void> {
  const start = peer.log.length;
  await peer.send(xml('presence', {}, ...children));
  await peer.until(
    () => peer.log.slice(start).find(isPresence({ from: peer.jid, type: '' })),
    4000,
    'its own presence to be reflected',
  );
}
