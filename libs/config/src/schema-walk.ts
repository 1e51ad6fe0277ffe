import type { Field } from './schema.js';

/** A leaf of the schema tree with its path from the root. */
export interface SchemaLeaf {
  path: readonly string[];
  key: string;
  field: Field<unknown>;
}

export function isField(node: unknown): node is Field<unknown> {
  return typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'field';
}

/** All leaves of a schema tree, depth first, in declaration order. */
export function schemaLeaves(schema: object, prefix: readonly string[] = []): SchemaLeaf[] {
  const out: SchemaLeaf[] = [];
  for (const [name, node] of Object.entries(schema)) {
    const path = [...prefix, name];
    if (isField(node)) out.push({ path, key: path.join('.'), field: node });
    else out.push(...schemaLeaves(node as object, path));
  }
  return out;
}

/** `c2s.maxStanzaBytes` → `PARLEY_C2S_MAX_STANZA_BYTES`. */
export function envNameFor(path: readonly string[]): string {
  return [
    'PARLEY',
    ...path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()),
  ].join('_');
}

export function defaultOf(field: Field<unknown>): unknown {
  const value =
    typeof field.default === 'function' ? (field.default as () => unknown)() : field.default;
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

/** Sets `value` at `path` in a nested plain object whose sections already exist. */
export function setAt(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let node = target;
  for (const name of path.slice(0, -1)) {
    node = node[name] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('empty key path');
  if (value === undefined) delete node[last];
  else node[last] = value;
}
