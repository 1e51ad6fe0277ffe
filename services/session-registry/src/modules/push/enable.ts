/**
 * Reading XEP-0357 `<enable/>` and `<disable/>` (sections 5 and 6): the app
 * server's JID, the node, and the publish-options form; bad input is a
 * stanza error.
 */
import { tryParseJID } from '@parley/jid';
import { NS_DATA_FORMS, badRequest, jidMalformed, readForm } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { NS_PUBLISH_OPTIONS, NS_PUSH } from './ns.js';

/** Limits on what a client may store with a registration. */
export const MAX_NODE_CHARS = 1023;
export const MAX_OPTION_FIELDS = 16;
export const MAX_OPTION_CHARS = 1024;

export interface EnableRequest {
  jid: string;
  node: string;
  options: Record<string, string[]>;
}

export interface DisableRequest {
  jid: string;
  node?: string;
}

function appServerJid(el: Element): string {
  const raw = el.attr('jid');
  if (raw === undefined || raw === '') throw badRequest("the 'jid' attribute is required");
  const jid = tryParseJID(raw);
  if (!jid) throw jidMalformed("'jid' is not a valid JID");
  return jid.toString();
}

function nodeOf(el: Element): string | undefined {
  const node = el.attr('node');
  if (node !== undefined && [...node].length > MAX_NODE_CHARS)
    throw badRequest(`'node' is longer than ${MAX_NODE_CHARS} characters`);
  return node;
}

export function readEnable(el: Element): EnableRequest {
  if (!el.is('enable', NS_PUSH)) throw badRequest('expected <enable/> or <disable/>');
  const jid = appServerJid(el);
  const node = nodeOf(el) ?? '';
  const options: Record<string, string[]> = {};
  const forms = el.getChildren('x', NS_DATA_FORMS);
  if (forms.length > 1) throw badRequest('at most one publish-options form');
  if (forms[0] !== undefined) {
    const form = readForm(forms[0]);
    if (form?.formType !== NS_PUBLISH_OPTIONS)
      throw badRequest(`the form's FORM_TYPE must be ${NS_PUBLISH_OPTIONS}`);
    if (form.fields.size > MAX_OPTION_FIELDS)
      throw badRequest(`at most ${MAX_OPTION_FIELDS} publish options`);
    for (const [name, values] of form.fields) {
      if (name === '' || [name, ...values].some((v) => [...v].length > MAX_OPTION_CHARS))
        throw badRequest(`publish options are at most ${MAX_OPTION_CHARS} characters`);
      options[name] = values;
    }
  }
  return { jid, node, options };
}

export function readDisable(el: Element): DisableRequest {
  const jid = appServerJid(el);
  const node = nodeOf(el);
  return node === undefined ? { jid } : { jid, node };
}
