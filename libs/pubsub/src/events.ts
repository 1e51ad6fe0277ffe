import { randomBytes } from 'node:crypto';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { PubsubItem } from '@parley/store';
import { NS_DELAY, NS_PUBSUB_EVENT } from './ns.js';

let seq = 0;
const prefix = randomBytes(4).toString('hex');

/** A notification id unique within this process (XEP-0060 12.3: for bounce tracking). */
export function notificationId(): string {
  return `ps-${prefix}-${(++seq).toString(36)}`;
}

/** The stored payload as an element, or undefined for an item without payload. */
export function payloadOf(item: PubsubItem): Element | undefined {
  return item.payload === '' ? undefined : parseXml(item.payload);
}

/** `<item id [publisher]>payload</item>` (the payload only when `withPayload`). */
export function itemElement(item: PubsubItem, withPayload: boolean, publisher = false): Element {
  const el = xml('item', { id: item.id, publisher: publisher ? item.publisher : undefined });
  if (withPayload) {
    const p = payloadOf(item);
    if (p) el.append(p);
  }
  return el;
}

/** `<event xmlns='…#event'><items node>…</items></event>` with published and/or retracted items. */
export function itemsEvent(node: string, items: Element[], retracted: string[] = []): Element {
  const el = xml('items', { node });
  for (const i of items) el.append(i);
  for (const id of retracted) el.append(xml('retract', { id }));
  return xml('event', { xmlns: NS_PUBSUB_EVENT }, el);
}

export function purgeEvent(node: string): Element {
  return xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('purge', { node }));
}

export function deleteEvent(node: string, redirect?: string): Element {
  return xml(
    'event',
    { xmlns: NS_PUBSUB_EVENT },
    xml('delete', { node }, redirect !== undefined && xml('redirect', { uri: redirect })),
  );
}

export function configurationEvent(node: string, form?: Element): Element {
  return xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('configuration', { node }, form));
}

export function subscriptionEvent(
  node: string,
  jid: string,
  subscription: string,
  subid?: string,
): Element {
  return xml(
    'event',
    { xmlns: NS_PUBSUB_EVENT },
    xml('subscription', { node, jid, subscription, subid }),
  );
}

/** The notification message: from the service to one recipient, with an optional delay stamp. */
export function notification(
  from: string,
  to: string,
  type: string,
  event: Element,
  delayed?: { stamp: number; from: string },
): Element {
  const msg = xml('message', { from, to, type, id: notificationId() }, event.clone());
  if (delayed)
    msg.append(
      xml('delay', {
        xmlns: NS_DELAY,
        stamp: new Date(delayed.stamp).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        from: delayed.from,
      }),
    );
  return msg;
}
