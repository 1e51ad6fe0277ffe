/**
 * Which messages warrant a push, and the publish a notification is
 * (XEP-0357 section 7): an IQ set from the user's bare JID to the app
 * server, publishing a `<notification/>` with the urn:xmpp:push:summary
 * form to the registration's node, with the registration's publish options.
 */
import { buildForm } from '@parley/stanza';
import type { FormField } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { PushRegistration } from '@parley/store';
import {
  NS_JINGLE_MESSAGE,
  NS_OMEMO,
  NS_OMEMO_LEGACY,
  NS_PUBLISH_OPTIONS,
  NS_PUBSUB,
  NS_PUSH,
  NS_PUSH_SUMMARY,
} from './ns.js';

/**
 * A one-to-one message a user would want to be woken for: it has a body,
 * is OMEMO-encrypted, or proposes a call. Chat states, receipts, markers
 * and the like do not.
 */
export function isImportant(message: Element): boolean {
  if (message.getChild('body') !== undefined) return true;
  return (
    message.getChild('encrypted', NS_OMEMO_LEGACY) !== undefined ||
    message.getChild('encrypted', NS_OMEMO) !== undefined ||
    message.getChild('propose', NS_JINGLE_MESSAGE) !== undefined
  );
}

const WORD = /[\p{L}\p{N}_]/u;

/**
 * Whether `body` mentions `nick`: the nickname, case-insensitively, not
 * inside a longer word ("anna" is in "@Anna:" and "hi anna", not in "annabel").
 */
export function mentions(body: string, nick: string): boolean {
  if (nick === '') return false;
  const hay = body.toLocaleLowerCase();
  const needle = nick.toLocaleLowerCase();
  for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
    const before = [...hay.slice(0, at)].at(-1);
    const after = [...hay.slice(at + needle.length)][0];
    if ((before === undefined || !WORD.test(before)) && (after === undefined || !WORD.test(after)))
      return true;
  }
  return false;
}

export interface Summary {
  /** Messages notified since the user was last active. */
  count: number;
  /** The last message's sender, when notifications name it. */
  sender?: string;
  /** The last message's body, only where bodies are allowed. */
  body?: string;
}

/** Longest body a notification carries; a longer one is cut (on a code point). */
export const MAX_BODY_CHARS = 256;

/** The publish IQ of one notification to one registration. */
export function publishIq(
  id: string,
  owner: string,
  reg: PushRegistration,
  summary: Summary,
): Element {
  const fields: FormField[] = [{ var: 'message-count', values: [String(summary.count)] }];
  if (summary.sender !== undefined)
    fields.push({ var: 'last-message-sender', values: [summary.sender] });
  if (summary.body !== undefined)
    fields.push({
      var: 'last-message-body',
      values: [[...summary.body].slice(0, MAX_BODY_CHARS).join('')],
    });
  const publish = xml(
    'publish',
    { node: reg.node === '' ? undefined : reg.node },
    xml(
      'item',
      {},
      xml('notification', { xmlns: NS_PUSH }, buildForm('submit', NS_PUSH_SUMMARY, fields)),
    ),
  );
  const pubsub = xml('pubsub', { xmlns: NS_PUBSUB }, publish);
  const options = Object.entries(reg.options);
  if (options.length > 0)
    pubsub.append(
      xml(
        'publish-options',
        {},
        buildForm(
          'submit',
          NS_PUBLISH_OPTIONS,
          options.map(([name, values]) => ({ var: name, values })),
        ),
      ),
    );
  return xml('iq', { type: 'set', id, from: owner, to: reg.jid }, pubsub);
}
