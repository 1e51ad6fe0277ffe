/** Top-level element classification for a client stream. */
import type { StanzaKind } from '@parley/routing';
import { NS_CLIENT } from '@parley/stanza';
import type { Element } from '@parley/xml';

/** message, presence or iq qualified by jabber:client (explicitly or inherited from the stream). */
export function clientStanzaKind(el: Element): StanzaKind | undefined {
  const name = el.name;
  if (name !== 'message' && name !== 'presence' && name !== 'iq') return undefined;
  const ns = el.getNS();
  return ns === undefined || ns === NS_CLIENT ? name : undefined;
}

/** The single payload child of an IQ get/set, or undefined when there is not exactly one. */
export function iqPayload(iq: Element): Element | undefined {
  let payload: Element | undefined;
  for (const child of iq.children) {
    if (typeof child === 'string') continue;
    if (payload !== undefined) return undefined;
    payload = child;
  }
  return payload;
}
