import { configSchema } from './config-schema.js';
import { defaultOf, envNameFor, schemaLeaves } from './schema-walk.js';

export interface ConfigKeyDescription {
  /** Dotted key path as used in the JSON file, e.g. `c2s.port`. */
  key: string;
  /** Human readable type, e.g. `integer 1-65535`. */
  type: string;
  default: unknown;
  doc: string;
  /** Environment variable that sets the key, e.g. `PARLEY_C2S_PORT`. */
  env: string;
}

/** Every configuration key, in declaration order; used to generate the configuration docs. */
export function describeConfig(): ConfigKeyDescription[] {
  return schemaLeaves(configSchema).map(({ path, key, field }) => ({
    key,
    type: field.type,
    default: field.defaultDoc ?? defaultOf(field),
    doc: field.doc,
    env: envNameFor(path),
  }));
}
