/** A scenario's own command-line options (`--key value` for each key of its config). */
import type { ConfigValue, Scenario, ScenarioConfig } from './types.js';

function parseValue(field: ConfigValue, raw: string, name: string): ConfigValue {
  if (typeof field === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${name} needs a number, got ${raw}`);
    return n;
  }
  if (typeof field === 'boolean') return raw !== 'false' && raw !== '0';
  return raw;
}

/** Splits argv into the common options and the scenario's own (`--key value`). */
export function scenarioConfig(
  scenario: Scenario,
  argv: string[],
): { cfg: ScenarioConfig; rest: string[] } {
  const cfg: ScenarioConfig = Object.fromEntries(
    Object.entries(scenario.config).map(([k, f]) => [k, f.default]),
  );
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([A-Za-z][\w-]*)(?:=(.*))?$/.exec(a);
    const key = m?.[1];
    if (m && key !== undefined && key in scenario.config) {
      const raw = m[2] ?? argv[++i];
      if (raw === undefined) throw new Error(`--${key} needs a value`);
      cfg[key] = parseValue(scenario.config[key]!.default, raw, key);
    } else rest.push(a);
  }
  return { cfg, rest };
}
