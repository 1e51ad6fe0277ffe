/** JSON serialisation helpers for log records; never throw. */

export type LogFields = Readonly<Record<string, unknown>>;

/** Plain-object view of an Error, including `code` and a bounded `cause` chain. */
export function serializeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (err.stack !== undefined) out['stack'] = err.stack;
  if (err.cause !== undefined) {
    out['cause'] =
      err.cause instanceof Error && depth < 4 ? serializeError(err.cause, depth + 1) : err.cause;
  }
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

/** JSON text of `value`; Errors and bigints are made serialisable, cycles are reported. */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? 'null';
  } catch (err) {
    return JSON.stringify(`[unserializable: ${(err as Error).message}]`);
  }
}

/** `"k":v,"k2":v2` for the entries of `fields` (no braces); undefined values are skipped. */
export function fieldsFragment(fields: LogFields, skip?: ReadonlySet<string>): string {
  let out = '';
  for (const key in fields) {
    if (!Object.hasOwn(fields, key) || skip?.has(key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${toJson(value)}`;
  }
  return out;
}
