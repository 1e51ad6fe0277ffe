import { buildForm, parseBoolean } from '@parley/stanza';
import type { FormField, SubmittedForm } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { errors } from './errors.js';
import { NS_NODE_CONFIG } from './ns.js';

export type AccessModel = 'open' | 'presence' | 'roster' | 'whitelist' | 'authorize';
export type PublishModel = 'publishers' | 'subscribers' | 'open';
export type SendLastPublishedItem = 'never' | 'on_sub' | 'on_sub_and_presence';
export type NotificationType = 'headline' | 'normal';

/** A node's configuration: the pubsub#node_config fields this engine implements. */
export interface NodeConfig {
  title: string;
  description: string;
  /** Namespace of the payloads; when set, other payloads are refused. */
  type: string;
  access_model: AccessModel;
  roster_groups_allowed: string[];
  publish_model: PublishModel;
  persist_items: boolean;
  /** Items kept; 'max' is the service's limit (feature config-node-max). */
  max_items: number | 'max';
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  notify_config: boolean;
  notify_delete: boolean;
  notify_retract: boolean;
  notify_sub: boolean;
  send_last_published_item: SendLastPublishedItem;
  notification_type: NotificationType;
  presence_based_delivery: boolean;
  /** Whether subscriptions are allowed at all. */
  subscribe: boolean;
}

export type ConfigKey = keyof NodeConfig;

/** Service limits a configuration is checked against. */
export interface ConfigLimits {
  /** The largest max_items a node may have; also what 'max' means. */
  maxItems: number;
}

type Kind =
  | { kind: 'text' }
  | { kind: 'bool' }
  | { kind: 'list-single'; options: readonly string[] }
  | { kind: 'list-multi' }
  | { kind: 'max-items' };

interface FieldSpec {
  key: ConfigKey;
  label: string;
  spec: Kind;
}

export const ACCESS_MODELS: readonly AccessModel[] = [
  'open',
  'presence',
  'roster',
  'whitelist',
  'authorize',
];

const FIELDS: readonly FieldSpec[] = [
  { key: 'title', label: 'A friendly name for the node', spec: { kind: 'text' } },
  { key: 'description', label: 'A description of the node', spec: { kind: 'text' } },
  { key: 'type', label: 'The type of node data (payload namespace)', spec: { kind: 'text' } },
  {
    key: 'access_model',
    label: 'Who may subscribe and retrieve items',
    spec: { kind: 'list-single', options: ACCESS_MODELS },
  },
  {
    key: 'roster_groups_allowed',
    label: 'Roster groups allowed to subscribe',
    spec: { kind: 'list-multi' },
  },
  {
    key: 'publish_model',
    label: 'Who may publish',
    spec: { kind: 'list-single', options: ['publishers', 'subscribers', 'open'] },
  },
  { key: 'persist_items', label: 'Persist items to storage', spec: { kind: 'bool' } },
  { key: 'max_items', label: 'Max # of items to persist', spec: { kind: 'max-items' } },
  {
    key: 'deliver_notifications',
    label: 'Whether to deliver event notifications',
    spec: { kind: 'bool' },
  },
  {
    key: 'deliver_payloads',
    label: 'Whether to deliver payloads with event notifications',
    spec: { kind: 'bool' },
  },
  {
    key: 'notify_config',
    label: 'Notify subscribers when the node configuration changes',
    spec: { kind: 'bool' },
  },
  {
    key: 'notify_delete',
    label: 'Notify subscribers when the node is deleted',
    spec: { kind: 'bool' },
  },
  {
    key: 'notify_retract',
    label: 'Notify subscribers when items are removed from the node',
    spec: { kind: 'bool' },
  },
  {
    key: 'notify_sub',
    label: 'Notify owners about new subscribers and unsubscribes',
    spec: { kind: 'bool' },
  },
  {
    key: 'send_last_published_item',
    label: 'When to send the last published item',
    spec: { kind: 'list-single', options: ['never', 'on_sub', 'on_sub_and_presence'] },
  },
  {
    key: 'notification_type',
    label: 'Specify the delivery style for event notifications',
    spec: { kind: 'list-single', options: ['normal', 'headline'] },
  },
  {
    key: 'presence_based_delivery',
    label: 'Deliver event notifications only to available users',
    spec: { kind: 'bool' },
  },
  { key: 'subscribe', label: 'Whether to allow subscriptions', spec: { kind: 'bool' } },
];

const BY_VAR = new Map(FIELDS.map((f) => [`pubsub#${f.key}`, f]));

/** XEP-0060's recommended defaults; services override some of them (PEP: presence, 1 item). */
export const BASE_DEFAULTS: NodeConfig = {
  title: '',
  description: '',
  type: '',
  access_model: 'open',
  roster_groups_allowed: [],
  publish_model: 'publishers',
  persist_items: true,
  max_items: 10,
  deliver_notifications: true,
  deliver_payloads: true,
  notify_config: false,
  notify_delete: true,
  notify_retract: true,
  notify_sub: false,
  send_last_published_item: 'on_sub',
  notification_type: 'headline',
  presence_based_delivery: false,
  subscribe: true,
};

/** Reads a stored configuration over `defaults`; values that do not parse keep the default. */
export function configFromStored(
  stored: Record<string, string | string[]>,
  defaults: NodeConfig,
): NodeConfig {
  const out: NodeConfig = {
    ...defaults,
    roster_groups_allowed: [...defaults.roster_groups_allowed],
  };
  for (const f of FIELDS) {
    const raw = stored[f.key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    const v = parseValue(f, values, Infinity);
    if (v !== undefined) (out as unknown as Record<string, unknown>)[f.key] = v;
  }
  return out;
}

/** The configuration as stored in PubsubNode.config (every field, plain strings). */
export function configToStored(config: NodeConfig): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const f of FIELDS) out[f.key] = formatValue(f, config[f.key]);
  return out;
}

/**
 * Applies a submitted node_config (or publish-options) form. Unknown fields are
 * ignored; a value that is not acceptable throws not-acceptable (an access
 * model this service does not offer: with <unsupported-access-model/>).
 */
export function applyConfigForm(
  base: NodeConfig,
  form: SubmittedForm,
  limits: ConfigLimits,
): NodeConfig {
  const out: NodeConfig = { ...base, roster_groups_allowed: [...base.roster_groups_allowed] };
  for (const [v, values] of form.fields) {
    const f = BY_VAR.get(v);
    if (!f) continue;
    const parsed = parseValue(f, values, limits.maxItems);
    if (parsed === undefined) {
      if (f.key === 'access_model') throw errors.unsupportedAccessModel();
      throw errors.notAcceptable(`invalid value for ${v}`);
    }
    (out as unknown as Record<string, unknown>)[f.key] = parsed;
  }
  return out;
}

/**
 * XEP-0060 7.1.5 publish-options as preconditions: the var of the first
 * field whose value differs from the node's configuration, or undefined when
 * every known field matches. 'max' matches 'max' and the service's limit.
 */
export function unmetPrecondition(
  config: NodeConfig,
  form: SubmittedForm,
  limits: ConfigLimits,
): string | undefined {
  for (const [v, values] of form.fields) {
    const f = BY_VAR.get(v);
    if (!f) continue;
    const wanted = parseValue(f, values, limits.maxItems);
    if (wanted === undefined) return v;
    const have = config[f.key];
    if (f.spec.kind === 'max-items') {
      const norm = (x: unknown) => (x === 'max' ? limits.maxItems : x);
      if (norm(wanted) !== norm(have)) return v;
    } else if (Array.isArray(wanted)) {
      const a = [...new Set(wanted)].sort();
      const b = [...new Set(have as string[])].sort();
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) return v;
    } else if (wanted !== have) return v;
  }
  return undefined;
}

/** The number of items a node keeps: its max_items ('max': the limit), 1 when not persistent. */
export function effectiveMaxItems(config: NodeConfig, limits: ConfigLimits): number {
  if (!config.persist_items) return 1;
  const n = config.max_items === 'max' ? limits.maxItems : config.max_items;
  return Math.min(n, limits.maxItems);
}

/** The node_config form: `form` for an owner to fill in, `result` in notifications. */
export function configForm(config: NodeConfig, type: 'form' | 'result'): Element {
  const fields: FormField[] = FIELDS.map((f) => {
    const value = formatValue(f, config[f.key]);
    const values = Array.isArray(value) ? value : value === '' ? [] : [value];
    // Labels in the form to fill in only, not in the result a notification carries.
    const label = type === 'form' ? f.label : undefined;
    const field: FormField = { var: `pubsub#${f.key}`, label, values, type: fieldType(f) };
    if (f.spec.kind === 'list-single') field.options = f.spec.options.map((value) => ({ value }));
    return field;
  });
  return buildForm(type, NS_NODE_CONFIG, fields);
}

function fieldType(f: FieldSpec): FormField['type'] {
  switch (f.spec.kind) {
    case 'bool':
      return 'boolean';
    case 'list-single':
      return 'list-single';
    case 'list-multi':
      return 'list-multi';
    default:
      return 'text-single';
  }
}

function parseValue(f: FieldSpec, values: readonly string[], maxItems: number): unknown {
  const first = values[0];
  switch (f.spec.kind) {
    case 'text':
      return first ?? '';
    case 'bool':
      return parseBoolean(first);
    case 'list-single':
      return first !== undefined && f.spec.options.includes(first) ? first : undefined;
    case 'list-multi':
      return [...values];
    case 'max-items': {
      if (first === undefined) return undefined;
      const t = first.trim();
      if (t === 'max') return 'max';
      if (!/^\d+$/.test(t)) return undefined;
      const n = Number(t);
      return n >= 1 && n <= maxItems ? n : undefined;
    }
  }
}

function formatValue(f: FieldSpec, value: unknown): string | string[] {
  if (f.spec.kind === 'list-multi') return [...(value as string[])];
  if (f.spec.kind === 'bool') return value ? 'true' : 'false';
  return String(value);
}
