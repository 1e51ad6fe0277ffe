/**
 * The `push.service.apps` field: the FCM and APNs apps of the built-in push
 * service, each an object checked key by key; credential files must be
 * readable when the configuration loads, so a wrong path stops the start
 * naming the app and the key.
 */
import { accessSync, constants } from 'node:fs';
import { FieldValueError, show } from './schema.js';
import type { Field } from './schema.js';
import type { ApnsAppConfig, FcmAppConfig, PushAppConfig } from './push-types.js';

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const APPLE_ID = /^[A-Z0-9]{10}$/;
const EXPECTED = 'a list of push apps {id, type: "fcm" | "apns", ...} (docs/push.md)';

function fail(what: string, got: unknown): never {
  throw new FieldValueError(`expected ${what}, got ${show(got)}`);
}

function allowOnly(v: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(v))
    if (!keys.includes(k)) fail(`no key ${k} (known: ${keys.join(', ')})`, k);
}

function text(v: Record<string, unknown>, key: string, optional: true): string | undefined;
function text(v: Record<string, unknown>, key: string, optional?: false): string;
function text(v: Record<string, unknown>, key: string, optional = false): string | undefined {
  const value = v[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(`${key}: a non-empty string`, value);
  return value;
}

function readable(v: Record<string, unknown>, key: string, optional: true): string | undefined;
function readable(v: Record<string, unknown>, key: string, optional?: false): string;
function readable(v: Record<string, unknown>, key: string, optional = false): string | undefined {
  const path = optional ? text(v, key, true) : text(v, key);
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    fail(`${key}: a readable file`, path);
  }
  return path;
}

function httpsOrigin(v: Record<string, unknown>, key: string): string | undefined {
  const value = text(v, key, true);
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    fail(`${key}: an http(s) URL`, value);
  return value;
}

function choice<V extends string>(
  v: Record<string, unknown>,
  key: string,
  values: readonly V[],
  fallback: V,
): V {
  const value = v[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
    fail(`${key}: one of ${values.join(', ')}`, value);
  return value as V;
}

const FCM_KEYS = ['id', 'type', 'serviceAccountFile', 'projectId', 'endpoint', 'caFile'] as const;
const APNS_KEYS = [
  'id', 'type', 'keyFile', 'keyId', 'teamId', 'topic', 'environment', 'pushType', 'alertText',
  'endpoint', 'caFile',
] as const; // prettier-ignore

/** One app as a JSON object. */
export function parsePushApp(value: unknown): PushAppConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('an object', Array.isArray(value) ? 'a list' : typeof value);
  const v = value as Record<string, unknown>;
  const id = text(v, 'id');
  if (!ID.test(id)) fail('id: lower-case letters, digits, ".", "_" or "-" (at most 64)', id);
  const type = v['type'];
  if (type === 'fcm') {
    allowOnly(v, FCM_KEYS);
    const app: FcmAppConfig = { id, type, serviceAccountFile: readable(v, 'serviceAccountFile') };
    const projectId = text(v, 'projectId', true);
    const endpoint = httpsOrigin(v, 'endpoint');
    const caFile = readable(v, 'caFile', true);
    if (projectId !== undefined) app.projectId = projectId;
    if (endpoint !== undefined) app.endpoint = endpoint;
    if (caFile !== undefined) app.caFile = caFile;
    return app;
  }
  if (type === 'apns') {
    allowOnly(v, APNS_KEYS);
    const keyId = text(v, 'keyId');
    const teamId = text(v, 'teamId');
    if (!APPLE_ID.test(keyId)) fail('keyId: the 10-character key id', keyId);
    if (!APPLE_ID.test(teamId)) fail('teamId: the 10-character team id', teamId);
    const app: ApnsAppConfig = {
      id,
      type,
      keyFile: readable(v, 'keyFile'),
      keyId,
      teamId,
      topic: text(v, 'topic'),
      environment: choice(v, 'environment', ['production', 'sandbox'], 'production'),
      pushType: choice(v, 'pushType', ['alert', 'background'], 'alert'),
      alertText: text(v, 'alertText', true) ?? 'New message',
    };
    const endpoint = httpsOrigin(v, 'endpoint');
    const caFile = readable(v, 'caFile', true);
    if (endpoint !== undefined) app.endpoint = endpoint;
    if (caFile !== undefined) app.caFile = caFile;
    return app;
  }
  return fail('type: "fcm" or "apns"', type);
}

function parseAll(values: unknown): PushAppConfig[] {
  if (!Array.isArray(values)) fail(EXPECTED, typeof values);
  const out: PushAppConfig[] = [];
  values.forEach((v: unknown, i) => {
    let app: PushAppConfig;
    try {
      app = parsePushApp(v);
    } catch (err) {
      if (err instanceof FieldValueError) throw new FieldValueError(`[${i}]: ${err.message}`);
      throw err;
    }
    if (out.some((o) => o.id === app.id)) fail('one app per id', app.id);
    out.push(app);
  });
  return out;
}

export function pushAppsField(opts: { doc: string }): Field<PushAppConfig[]> {
  return {
    kind: 'field',
    type: 'list of {id, type: fcm | apns, ...}',
    doc: opts.doc,
    default: [],
    fromJson: parseAll,
    fromString(s) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        fail(`JSON: ${EXPECTED}`, '<unparsable>');
      }
      return parseAll(parsed);
    },
  };
}
