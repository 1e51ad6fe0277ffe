/**
 * Room configuration (XEP-0045 section 10.2, FORM_TYPE
 * http://jabber.org/protocol/muc#roomconfig): the typed form the room logic
 * reads, the data form an owner edits, and the stored record (field var →
 * value) kept in the RoomStore or the hot state.
 */
import type { Config } from '@parley/config';
import { badRequest, boolText, buildForm, notAcceptable, parseBoolean } from '@parley/stanza';
import type { FormField, SubmittedForm } from '@parley/stanza';
import type { RoomConfigValue } from '@parley/store';
import type { Element } from '@parley/xml';
import { NS_MUC_ROOMCONFIG } from './ns.js';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';
export type Whois = 'moderators' | 'anyone';
export type AllowPm = 'anyone' | 'participants' | 'moderators' | 'none';

export const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];
export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'outcast', 'none'];
const BROADCAST_ROLES: readonly Role[] = ['moderator', 'participant', 'visitor'];
const ALLOW_PM: readonly AllowPm[] = ['anyone', 'participants', 'moderators', 'none'];

export interface RoomConfig {
  name: string;
  description: string;
  lang: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  moderated: boolean;
  passwordProtected: boolean;
  password: string;
  maxUsers: number;
  whois: Whois;
  allowInvites: boolean;
  changeSubject: boolean;
  allowPm: AllowPm;
  historyLength: number;
  logging: boolean;
  /** Roles whose occupants may retrieve the member list. */
  getMemberList: Role[];
  /** Roles whose presence is broadcast to the room. */
  presenceBroadcast: Role[];
}

/** Field vars of the configuration form, by config key. */
export const FIELD = {
  name: 'muc#roomconfig_roomname',
  description: 'muc#roomconfig_roomdesc',
  lang: 'muc#roomconfig_lang',
  persistent: 'muc#roomconfig_persistentroom',
  public: 'muc#roomconfig_publicroom',
  membersOnly: 'muc#roomconfig_membersonly',
  moderated: 'muc#roomconfig_moderatedroom',
  passwordProtected: 'muc#roomconfig_passwordprotectedroom',
  password: 'muc#roomconfig_roomsecret',
  maxUsers: 'muc#roomconfig_maxusers',
  whois: 'muc#roomconfig_whois',
  allowInvites: 'muc#roomconfig_allowinvites',
  changeSubject: 'muc#roomconfig_changesubject',
  allowPm: 'muc#roomconfig_allowpm',
  historyLength: 'muc#maxhistoryfetch',
  logging: 'muc#roomconfig_enablelogging',
  getMemberList: 'muc#roomconfig_getmemberlist',
  presenceBroadcast: 'muc#roomconfig_presencebroadcast',
} as const satisfies Record<keyof RoomConfig, string>;

/** Other names clients use for the history length. */
const HISTORY_ALIASES = ['muc#roomconfig_historylength', 'muc#roomconfig_maxhistoryfetch'];
export const FIELD_ADMINS = 'muc#roomconfig_roomadmins';
export const FIELD_OWNERS = 'muc#roomconfig_roomowners';

export function defaultRoomConfig(config: Config): RoomConfig {
  const d = config.muc.roomDefaults;
  return {
    name: '',
    description: '',
    lang: '',
    persistent: d.persistent,
    public: d.public,
    membersOnly: d.membersOnly,
    moderated: d.moderated,
    passwordProtected: false,
    password: '',
    maxUsers: Math.min(d.maxUsers, config.muc.maxUsers),
    whois: d.whois,
    allowInvites: d.allowInvites,
    changeSubject: d.changeSubject,
    allowPm: d.allowPm,
    historyLength: Math.min(d.historyLength, config.muc.maxHistory),
    logging: d.logging,
    getMemberList: ['moderator', 'participant'],
    presenceBroadcast: [...BROADCAST_ROLES],
  };
}

/** The stored form: field var → value. */
export function toStored(c: RoomConfig): Record<string, RoomConfigValue> {
  const out: Record<string, RoomConfigValue> = {};
  for (const key of Object.keys(FIELD) as (keyof RoomConfig)[]) {
    const v = c[key];
    out[FIELD[key]] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/** Reads a stored record; missing or malformed values take the defaults. */
export function fromStored(rec: Record<string, RoomConfigValue>, defaults: RoomConfig): RoomConfig {
  const c: RoomConfig = {
    ...defaults,
    getMemberList: [...defaults.getMemberList],
    presenceBroadcast: [...defaults.presenceBroadcast],
  };
  const str = (k: keyof RoomConfig) => {
    const v = rec[FIELD[k]];
    return typeof v === 'string' ? v : undefined;
  };
  const bool = (k: keyof RoomConfig) => {
    const v = rec[FIELD[k]];
    return typeof v === 'boolean' ? v : undefined;
  };
  const num = (k: keyof RoomConfig) => {
    const v = rec[FIELD[k]];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const roles = (k: keyof RoomConfig) => {
    const v = rec[FIELD[k]];
    return Array.isArray(v) ? (v.filter((r) => ROLES.includes(r as Role)) as Role[]) : undefined;
  };
  c.name = str('name') ?? c.name;
  c.description = str('description') ?? c.description;
  c.lang = str('lang') ?? c.lang;
  c.password = str('password') ?? c.password;
  c.persistent = bool('persistent') ?? c.persistent;
  c.public = bool('public') ?? c.public;
  c.membersOnly = bool('membersOnly') ?? c.membersOnly;
  c.moderated = bool('moderated') ?? c.moderated;
  c.passwordProtected = bool('passwordProtected') ?? c.passwordProtected;
  c.allowInvites = bool('allowInvites') ?? c.allowInvites;
  c.changeSubject = bool('changeSubject') ?? c.changeSubject;
  c.logging = bool('logging') ?? c.logging;
  c.maxUsers = num('maxUsers') ?? c.maxUsers;
  c.historyLength = num('historyLength') ?? c.historyLength;
  const whois = str('whois');
  if (whois === 'moderators' || whois === 'anyone') c.whois = whois;
  const pm = str('allowPm');
  if (pm !== undefined && ALLOW_PM.includes(pm as AllowPm)) c.allowPm = pm as AllowPm;
  c.getMemberList = roles('getMemberList') ?? c.getMemberList;
  c.presenceBroadcast = roles('presenceBroadcast') ?? c.presenceBroadcast;
  return c;
}

const MAXUSERS_CHOICES = [10, 20, 30, 50, 100, 200, 500, 1000, 5000];

/** The configuration form an owner gets (XEP-0045 10.2). */
export function configForm(
  room: string,
  c: RoomConfig,
  lists: { admins: string[]; owners: string[] },
  limits: { maxUsers: number; maxHistory: number },
): Element {
  const roleOptions = BROADCAST_ROLES.map((r) => ({
    value: r,
    label: r[0]!.toUpperCase() + r.slice(1),
  }));
  const fields: FormField[] = [
    { var: FIELD.name, type: 'text-single', label: 'Natural-language room name', values: [c.name] },
    {
      var: FIELD.description,
      type: 'text-single',
      label: 'Short description of the room',
      values: [c.description],
    },
    {
      var: FIELD.lang,
      type: 'text-single',
      label: 'Natural language for room discussions',
      values: [c.lang],
    },
    {
      var: FIELD.persistent,
      type: 'boolean',
      label: 'Make room persistent',
      values: [boolText(c.persistent)],
    },
    {
      var: FIELD.public,
      type: 'boolean',
      label: 'Make room publicly searchable',
      values: [boolText(c.public)],
    },
    {
      var: FIELD.membersOnly,
      type: 'boolean',
      label: 'Make room members-only',
      values: [boolText(c.membersOnly)],
    },
    {
      var: FIELD.moderated,
      type: 'boolean',
      label: 'Make room moderated',
      values: [boolText(c.moderated)],
    },
    {
      var: FIELD.passwordProtected,
      type: 'boolean',
      label: 'Password required to enter',
      values: [boolText(c.passwordProtected)],
    },
    { var: FIELD.password, type: 'text-private', label: 'Password', values: [c.password] },
    {
      var: FIELD.maxUsers,
      type: 'list-single',
      label: 'Maximum number of occupants',
      values: [String(c.maxUsers)],
      options: MAXUSERS_CHOICES.filter((n) => n <= limits.maxUsers).map((n) => ({
        value: String(n),
      })),
    },
    {
      var: FIELD.whois,
      type: 'list-single',
      label: 'Who may discover real JIDs',
      values: [c.whois],
      options: [
        { value: 'moderators', label: 'Moderators only' },
        { value: 'anyone', label: 'Anyone' },
      ],
    },
    {
      var: FIELD.allowInvites,
      type: 'boolean',
      label: 'Allow occupants to invite others',
      values: [boolText(c.allowInvites)],
    },
    {
      var: FIELD.changeSubject,
      type: 'boolean',
      label: 'Allow occupants to change the subject',
      values: [boolText(c.changeSubject)],
    },
    {
      var: FIELD.allowPm,
      type: 'list-single',
      label: 'Who may send private messages',
      values: [c.allowPm],
      options: [
        { value: 'anyone', label: 'Anyone' },
        { value: 'participants', label: 'Anyone with voice' },
        { value: 'moderators', label: 'Moderators only' },
        { value: 'none', label: 'Nobody' },
      ],
    },
    {
      var: FIELD.historyLength,
      type: 'text-single',
      label: `Messages of history sent on entering (at most ${limits.maxHistory})`,
      values: [String(c.historyLength)],
    },
    {
      var: FIELD.logging,
      type: 'boolean',
      label: 'Archive discussions (message archive of the room)',
      values: [boolText(c.logging)],
    },
    {
      var: FIELD.getMemberList,
      type: 'list-multi',
      label: 'Roles that may retrieve the member list',
      values: c.getMemberList,
      options: roleOptions,
    },
    {
      var: FIELD.presenceBroadcast,
      type: 'list-multi',
      label: 'Roles whose presence is broadcast',
      values: c.presenceBroadcast,
      options: roleOptions,
    },
    { var: FIELD_ADMINS, type: 'jid-multi', label: 'Room admins', values: lists.admins },
    { var: FIELD_OWNERS, type: 'jid-multi', label: 'Room owners', values: lists.owners },
  ];
  return buildForm('form', NS_MUC_ROOMCONFIG, fields, {
    title: `Configuration of ${room}`,
    instructions: 'Complete this form to modify the configuration of your room.',
  });
}

function one(form: SubmittedForm, name: string): string | undefined {
  const v = form.fields.get(name);
  return v === undefined ? undefined : (v[0] ?? '');
}

function boolField(form: SubmittedForm, name: string, current: boolean): boolean {
  const v = one(form, name);
  if (v === undefined) return current;
  const b = parseBoolean(v);
  if (b === undefined) throw badRequest(`${name} must be a boolean`);
  return b;
}

function intField(
  form: SubmittedForm,
  name: string,
  current: number,
  min: number,
  max: number,
): number {
  const v = one(form, name);
  if (v === undefined) return current;
  const t = v.trim();
  if (t === '' || t === 'none') return max;
  if (!/^\d+$/.test(t)) throw badRequest(`${name} must be a number`);
  const n = Number(t);
  if (n < min || n > max) throw notAcceptable(`${name} must be from ${min} to ${max}`);
  return n;
}

export interface ConfigSubmission {
  config: RoomConfig;
  /** Present when the form named them: the complete new lists. */
  admins?: string[];
  owners?: string[];
}

/**
 * Applies a submitted configuration form to `current`. A field not in the
 * form keeps its value; a value outside the service's limits is refused
 * with not-acceptable (XEP-0045 10.2).
 */
export function applyConfigForm(
  current: RoomConfig,
  form: SubmittedForm,
  limits: { maxUsers: number; maxHistory: number },
): ConfigSubmission {
  const c: RoomConfig = {
    ...current,
    getMemberList: [...current.getMemberList],
    presenceBroadcast: [...current.presenceBroadcast],
  };
  const text = (name: string, v: string) => one(form, name) ?? v;
  c.name = text(FIELD.name, c.name).trim();
  c.description = text(FIELD.description, c.description);
  c.lang = text(FIELD.lang, c.lang).trim();
  c.persistent = boolField(form, FIELD.persistent, c.persistent);
  c.public = boolField(form, FIELD.public, c.public);
  c.membersOnly = boolField(form, FIELD.membersOnly, c.membersOnly);
  c.moderated = boolField(form, FIELD.moderated, c.moderated);
  c.passwordProtected = boolField(form, FIELD.passwordProtected, c.passwordProtected);
  c.password = text(FIELD.password, c.password);
  c.maxUsers = intField(form, FIELD.maxUsers, c.maxUsers, 1, limits.maxUsers);
  const history = [FIELD.historyLength, ...HISTORY_ALIASES].find((n) => form.fields.has(n));
  if (history !== undefined)
    c.historyLength = intField(form, history, c.historyLength, 0, limits.maxHistory);
  const whois = one(form, FIELD.whois);
  if (whois !== undefined) {
    if (whois !== 'moderators' && whois !== 'anyone')
      throw notAcceptable(`${FIELD.whois}: ${whois}`);
    c.whois = whois;
  }
  c.allowInvites = boolField(form, FIELD.allowInvites, c.allowInvites);
  c.changeSubject = boolField(form, FIELD.changeSubject, c.changeSubject);
  const pm = one(form, FIELD.allowPm);
  if (pm !== undefined) {
    if (!ALLOW_PM.includes(pm as AllowPm)) throw notAcceptable(`${FIELD.allowPm}: ${pm}`);
    c.allowPm = pm as AllowPm;
  }
  c.logging = boolField(form, FIELD.logging, c.logging);
  for (const key of ['getMemberList', 'presenceBroadcast'] as const) {
    const v = form.fields.get(FIELD[key]);
    if (v === undefined) continue;
    const roles = v.map((r) => r.trim()).filter((r) => r !== '' && r !== 'none');
    const bad = roles.find((r) => !BROADCAST_ROLES.includes(r as Role));
    if (bad !== undefined) throw notAcceptable(`${FIELD[key]}: ${bad}`);
    c[key] = [...new Set(roles)] as Role[];
  }
  if (c.passwordProtected && c.password === '')
    throw notAcceptable('a password protected room needs a password');
  if (!c.passwordProtected) c.password = '';
  const out: ConfigSubmission = { config: c };
  const admins = form.fields.get(FIELD_ADMINS);
  if (admins !== undefined) out.admins = admins.map((j) => j.trim()).filter((j) => j !== '');
  const owners = form.fields.get(FIELD_OWNERS);
  if (owners !== undefined) out.owners = owners.map((j) => j.trim()).filter((j) => j !== '');
  return out;
}
