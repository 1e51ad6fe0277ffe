import { configSchema } from './config-schema.js';
import { defaultOf, schemaLeaves, setAt } from './schema-walk.js';
import type { Config } from './types.js';

/** The configuration used when no file, environment variable or override is given. */
export function defaultConfig(): Config {
  const config: Record<string, unknown> = {};
  buildSections(configSchema, config);
  for (const leaf of schemaLeaves(configSchema)) {
    setAt(config, leaf.path, defaultOf(leaf.field));
  }
  return config as unknown as Config;
}

function buildSections(schema: object, target: Record<string, unknown>): void {
  for (const [name, node] of Object.entries(schema)) {
    if ((node as { kind?: unknown }).kind === 'field') continue;
    const section: Record<string, unknown> = {};
    target[name] = section;
    buildSections(node as object, section);
  }
}
