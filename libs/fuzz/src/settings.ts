/**
 * The fuzzing knobs, read from the environment: how many runs, which seed
 * and path to replay, how long one property may run, where to report.
 */

/** What the environment asks of every property test of a run. */
export interface FuzzSettings {
  /** PARLEY_FUZZ_RUNS: runs of every property, instead of each one's own default. */
  runs?: number;
  /** PARLEY_FUZZ_SEED: the seed to start from (printed by a failure), for a replay. */
  seed?: number;
  /** PARLEY_FUZZ_PATH: the counterexample path printed with the seed: replays only that case. */
  path?: string;
  /** PARLEY_FUZZ_TIME_MS: stop a property after this long (a success if nothing failed by then). */
  timeLimitMs?: number;
  /** PARLEY_FUZZ_REPORT: a file that gets one JSON line per property checked. */
  reportFile?: string;
}

/** A PARLEY_FUZZ_* variable with a value that cannot be used. */
export class FuzzSettingsError extends Error {
  override readonly name = 'FuzzSettingsError';
}

function integer(env: NodeJS.ProcessEnv, key: string, min: number): number | undefined {
  const text = env[key];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new FuzzSettingsError(`${key} must be an integer of at least ${min}, got '${text}'`);
  }
  return value;
}

/** Reads the settings; an unusable value throws {@link FuzzSettingsError} naming the variable. */
export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const settings: FuzzSettings = {};
  const runs = integer(env, 'PARLEY_FUZZ_RUNS', 1);
  if (runs !== undefined) settings.runs = runs;
  // fast-check seeds are 32-bit integers and may be negative.
  const seed = integer(env, 'PARLEY_FUZZ_SEED', -0x80000000);
  if (seed !== undefined) settings.seed = seed;
  const path = env['PARLEY_FUZZ_PATH'];
  if (path !== undefined && path !== '') {
    if (seed === undefined) throw new FuzzSettingsError('PARLEY_FUZZ_PATH needs PARLEY_FUZZ_SEED');
    if (!/^[0-9]+(?::[0-9]+)*$/.test(path)) {
      throw new FuzzSettingsError(`PARLEY_FUZZ_PATH must look like '12:0:3', got '${path}'`);
    }
    settings.path = path;
  }
  const timeLimitMs = integer(env, 'PARLEY_FUZZ_TIME_MS', 1);
  if (timeLimitMs !== undefined) settings.timeLimitMs = timeLimitMs;
  const reportFile = env['PARLEY_FUZZ_REPORT'];
  if (reportFile !== undefined && reportFile !== '') settings.reportFile = reportFile;
  return settings;
}
