/**
 * A vitest test that checks one fast-check property with a bounded number
 * of runs, scaled up, time-bounded, replayed or reported as the PARLEY_FUZZ_*
 * variables ask (see settings.ts).
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import fc from 'fast-check';
import type { IAsyncProperty, IProperty, Parameters, RunDetails } from 'fast-check';
import { expect, it } from 'vitest';
import { fuzzSettings } from './settings.js';
import type { FuzzSettings } from './settings.js';

/** A property as fast-check checks it, synchronous or not. */
export type AnyProperty<Ts> = IProperty<Ts> | IAsyncProperty<Ts>;

/** What a run did, as written to PARLEY_FUZZ_REPORT. */
export interface PropertyReport {
  file: string;
  test: string;
  runs: number;
  interrupted: boolean;
  failed: boolean;
  seed: number;
  ms: number;
}

/** fast-check parameters for a property whose main-suite default is `runs`. */
export function fuzzParameters<Ts>(runs: number, settings: FuzzSettings): Parameters<Ts> {
  const params: Parameters<Ts> = { numRuns: settings.runs ?? runs };
  if (settings.seed !== undefined) params.seed = settings.seed;
  if (settings.path !== undefined) {
    params.path = settings.path;
    params.endOnFailure = true;
  }
  if (settings.timeLimitMs !== undefined) {
    params.plugins = [fc.interruptAfterTimeLimit(settings.timeLimitMs)];
  }
  return params;
}

/** The vitest timeout of a property test: the suite's own unless the run is scaled up. */
export function fuzzTimeout(settings: FuzzSettings): number | undefined {
  if (settings.timeLimitMs !== undefined) return 2 * settings.timeLimitMs + 60_000;
  if (settings.runs !== undefined) return 24 * 3600_000;
  return undefined;
}

function replayHint(
  details: { seed: number; counterexamplePath: string | null },
  file: string,
  test: string,
): string {
  const path =
    details.counterexamplePath === null ? '' : ` PARLEY_FUZZ_PATH=${details.counterexamplePath}`;
  return (
    `\nReplay: PARLEY_FUZZ_SEED=${details.seed}${path} ` +
    `pnpm vitest run ${file} -t ${JSON.stringify(test)}`
  );
}

/**
 * Checks `property` (built when the test runs) `runs` times by default. A
 * failure throws fast-check's report (counterexample, seed, path) plus the
 * command that replays it, with the property's own error as `cause`.
 */
export async function checkProperty<Ts>(
  property: AnyProperty<Ts>,
  runs: number,
  settings: FuzzSettings = fuzzSettings(),
  where: { file: string; test: string } = { file: '', test: '' },
): Promise<RunDetails<Ts>> {
  const started = Date.now();
  // A synchronous property holds the event loop for its whole run: let the
  // test runner's messages through first (a long run otherwise times them out).
  await setImmediate();
  const details = await fc.check(property, fuzzParameters<Ts>(runs, settings));
  await setImmediate();
  if (settings.reportFile !== undefined) {
    const report: PropertyReport = {
      ...where,
      runs: details.numRuns,
      interrupted: details.interrupted,
      failed: details.failed,
      seed: details.seed,
      ms: Date.now() - started,
    };
    appendFileSync(settings.reportFile, JSON.stringify(report) + '\n');
  }
  if (details.failed) {
    const message = fc.defaultReportMessage(details) ?? 'property failed';
    throw new Error(message + replayHint(details, where.file, where.test), {
      cause: details.errorInstance,
    });
  }
  return details;
}

/**
 * Declares a vitest test that checks the property `build` returns, `runs`
 * times in the main suite (keep each file to a few seconds), as many times
 * or as long as PARLEY_FUZZ_RUNS / PARLEY_FUZZ_TIME_MS say in a fuzzing run.
 */
export function propertyTest<Ts>(name: string, runs: number, build: () => AnyProperty<Ts>): void {
  const settings = fuzzSettings();
  it(
    name,
    async () => {
      const state = expect.getState();
      const file = state.testPath === undefined ? '' : relative(process.cwd(), state.testPath);
      await checkProperty(build(), runs, settings, { file, test: state.currentTestName ?? name });
    },
    fuzzTimeout(settings),
  );
}
