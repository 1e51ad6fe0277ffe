/**
 * The ad-hoc commands (XEP-0050) of the push service, as Conversations' app
 * server "p2" defines them: `register-push-fcm` (fields `token`,
 * `android-id` or `device-id`), `register-push-apns` (`token`, `device-id`),
 * both with an optional `application` (an app id of push.service.apps),
 * answered with the form fields `jid`, `node` and `secret`; and
 * `unregister-push` (also `unregister-push-fcm` / `-apns`) with the device
 * id. A command may come with its form at once (p2 style, single stage) or
 * execute first and get the form to fill in.
 */
import { randomBytes } from 'node:crypto';
import type { PushAppConfig } from '@parley/config';
import { NS_DATA_FORMS, badRequest, buildForm, readForm } from '@parley/stanza';
import type { FormField, SubmittedForm } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_COMMANDS } from './ns.js';

export type PushKind = PushAppConfig['type'];

export interface CommandInfo {
  node: string;
  name: string;
  kind?: PushKind;
  unregister: boolean;
}

export const COMMANDS: readonly CommandInfo[] = [
  {
    node: 'register-push-fcm',
    name: 'Register a device for FCM push',
    kind: 'fcm',
    unregister: false,
  },
  {
    node: 'register-push-apns',
    name: 'Register a device for APNs push',
    kind: 'apns',
    unregister: false,
  },
  { node: 'unregister-push', name: 'Unregister a device', unregister: true },
  { node: 'unregister-push-fcm', name: 'Unregister an FCM device', kind: 'fcm', unregister: true },
  {
    node: 'unregister-push-apns',
    name: 'Unregister an APNs device',
    kind: 'apns',
    unregister: true,
  },
];

/** Longest device id and app id accepted. */
export const MAX_DEVICE_ID_CHARS = 256;

export interface CommandRequest {
  info: CommandInfo;
  action: string;
  sessionid?: string;
  /** The submitted form, if any. */
  form?: SubmittedForm;
}

/** Reads `<command/>`; undefined `info` when the node is not one of ours. */
export function readCommand(el: Element): CommandRequest | { info: undefined } {
  const info = COMMANDS.find((c) => c.node === el.attr('node'));
  if (info === undefined) return { info: undefined };
  const x = el.getChild('x', NS_DATA_FORMS);
  const form = x === undefined ? undefined : readForm(x);
  const req: CommandRequest = { info, action: el.attr('action') ?? 'execute' };
  const sessionid = el.attr('sessionid');
  if (sessionid !== undefined) req.sessionid = sessionid;
  if (form !== undefined) req.form = form;
  return req;
}

/** The single value of a text field, trimmed; undefined when absent or empty. */
export function value(form: SubmittedForm, name: string): string | undefined {
  const v = form.fields.get(name)?.[0]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The device id of a submitted form (`device-id`, else p2's `android-id`). */
export function deviceId(form: SubmittedForm): string {
  const id = value(form, 'device-id') ?? value(form, 'android-id');
  if (id === undefined) throw badRequest('the device-id (or android-id) field is required');
  if ([...id].length > MAX_DEVICE_ID_CHARS)
    throw badRequest(`the device id is longer than ${MAX_DEVICE_ID_CHARS} characters`);
  return id;
}

const FORM_TYPE = 'urn:xmpp:parley:push:register';

/** The form a client fills in when it executes a command without one. */
export function blankForm(info: CommandInfo, apps: readonly PushAppConfig[]): Element {
  const fields: FormField[] = [];
  if (!info.unregister) fields.push({ var: 'token', type: 'text-single', label: 'Device token' });
  fields.push({ var: 'device-id', type: 'text-single', label: 'Device id' });
  const offered = apps.filter((a) => info.kind === undefined || a.type === info.kind);
  if (offered.length > 1)
    fields.push({
      var: 'application',
      type: 'list-single',
      label: 'Application',
      options: offered.map((a) => ({ value: a.id })),
    });
  return buildForm('form', FORM_TYPE, fields, { title: info.name });
}

/** `<command status='executing'>` with the form to fill in. */
export function executing(info: CommandInfo, form: Element): Element {
  return xml(
    'command',
    {
      xmlns: NS_COMMANDS,
      node: info.node,
      sessionid: randomBytes(9).toString('base64url'),
      status: 'executing',
    },
    xml('actions', { execute: 'complete' }, xml('complete')),
    form,
  );
}

/** `<command status='completed'>`, with a result form when there is one. */
export function completed(
  info: CommandInfo,
  sessionid: string | undefined,
  form?: Element,
): Element {
  return xml(
    'command',
    {
      xmlns: NS_COMMANDS,
      node: info.node,
      sessionid: sessionid ?? randomBytes(9).toString('base64url'),
      status: 'completed',
    },
    form,
  );
}

export function canceled(info: CommandInfo, sessionid: string | undefined): Element {
  return xml('command', { xmlns: NS_COMMANDS, node: info.node, sessionid, status: 'canceled' });
}

/** The answer to a registration: where the user's server publishes, and the secret it sends. */
export function registeredForm(service: string, node: string, secret: string): Element {
  const x = xml('x', { xmlns: NS_DATA_FORMS, type: 'result' });
  for (const [name, type, v] of [
    ['jid', 'jid-single', service],
    ['node', 'text-single', node],
    ['secret', 'text-private', secret],
  ] as const)
    x.c('field', { var: name, type }).c('value').t(v);
  return x;
}
