import { NS_CARBONS } from '@parley/stanza';
import type { Element } from '@parley/xml';

/** XEP-0280 section 6: the namespace announcing that these copying rules are applied. */
export const NS_CARBONS_RULES = 'urn:xmpp:carbons:rules:0';
/** XEP-0334 */
export const NS_HINTS = 'urn:xmpp:hints';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
/** XEP-0249 direct MUC invitations. */
const NS_CONFERENCE = 'jabber:x:conference';
/** Payloads of IM conversations without a body: chat states, receipts, chat markers. */
const IM_PAYLOADS = [
  'http://jabber.org/protocol/chatstates',
  'urn:xmpp:receipts',
  'urn:xmpp:chat-markers:0',
];

/** Quick test on the serialized message: none of these means no rule but the type can apply. */
const RULE_NAMESPACES = /urn:xmpp:carbons:2|urn:xmpp:hints|protocol\/muc#user/;

/**
 * Whether a chat message may be copied without parsing it: it names none of
 * the namespaces that could exclude it.
 */
export function plainChat(type: string, xml: string): boolean {
  return type === 'chat' && !RULE_NAMESPACES.test(xml);
}

/**
 * Whether a message is eligible for carbons delivery (XEP-0280 section 6,
 * urn:xmpp:carbons:rules:0). `direction` is 'sent' for a message from the
 * user, 'received' for one to the user. Never copied: errors (the server
 * does not correlate them with the message they answer), groupchat and
 * headline messages, <private/> or <no-copy/> messages, carbons themselves,
 * and private messages received from a MUC occupant (the room copies those
 * to every joined client). Copied: chat, normal with a body or an IM
 * payload, MUC invitations (direct and mediated), private messages sent to
 * a MUC occupant.
 */
export function isEligible(msg: Element, direction: 'sent' | 'received'): boolean {
  const type = msg.attr('type') ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (msg.getChild('private', NS_CARBONS) || msg.getChild('no-copy', NS_HINTS)) return false;
  if (msg.getChild('sent', NS_CARBONS) || msg.getChild('received', NS_CARBONS)) return false;
  const mucUser = msg.getChild('x', NS_MUC_USER);
  if (mucUser) {
    if (mucUser.getChild('invite')) return true;
    if (direction === 'received') return false;
  }
  if (type === 'chat') return true;
  if (msg.getChild('body') || msg.getChild('x', NS_CONFERENCE)) return true;
  return msg.getChildElements().some((c) => IM_PAYLOADS.includes(c.getNS() ?? ''));
}
