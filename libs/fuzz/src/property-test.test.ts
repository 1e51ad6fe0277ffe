import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProperty, fuzzTimeout } from './property-test.js';
import type { PropertyReport } from './property-test.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function reportFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-fuzz-'));
  dirs.push(dir);
  return join(dir, 'report.jsonl');
}

const where = { file: 'libs/x/x.property.test.ts', test: 'x > y' };
/** Fails for any integer of at least 1000: the minimal counterexample is 1000. */
const below1000 = () =>
  fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => {
    if (n >= 1000) throw new Error(`too big: ${n}`);
  });

describe('checkProperty', () => {
  it('runs the default number of times and reports it', async () => {
    const file = reportFile();
    let calls = 0;
    const prop = fc.property(fc.nat(), () => {
      calls++;
    });
    const details = await checkProperty(prop, 37, { reportFile: file }, where);
    expect(calls).toBe(37);
    const report = JSON.parse(readFileSync(file, 'utf8')) as PropertyReport;
    expect(report).toMatchObject({ ...where, runs: 37, failed: false, interrupted: false });
    expect(report.seed).toBe(details.seed);
  });

  it('takes the run count of PARLEY_FUZZ_RUNS over the default', async () => {
    const details = await checkProperty(
      fc.property(fc.nat(), () => true),
      5,
      { runs: 12 },
    );
    expect(details.numRuns).toBe(12);
  });

  it('stops at the time limit without failing', async () => {
    const prop = fc.asyncProperty(fc.nat(), () => new Promise((r) => setTimeout(r, 5)));
    const details = await checkProperty(prop, 1_000_000, { runs: 1_000_000, timeLimitMs: 50 });
    expect(details.interrupted).toBe(true);
    expect(details.failed).toBe(false);
    expect(details.numRuns).toBeLessThan(100);
  });

  it('throws the shrunk counterexample, the seed and the replay command', async () => {
    const error = await checkProperty(below1000(), 200, {}, where).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain('Counterexample: [1000]');
    const seed = /PARLEY_FUZZ_SEED=(-?[0-9]+) PARLEY_FUZZ_PATH=([0-9:]+) /.exec(error!.message);
    expect(seed).not.toBeNull();
    expect(error!.message).toContain('pnpm vitest run libs/x/x.property.test.ts -t "x > y"');
    expect((error!.cause as Error).message).toBe('too big: 1000');

    // The printed seed and path replay exactly the minimal case, once.
    let calls = 0;
    const replay = fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => {
      calls++;
      expect(n).toBe(1000);
      return false;
    });
    const replayed = await checkProperty(replay, 200, {
      seed: Number(seed![1]),
      path: seed![2]!,
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(replayed?.message).toContain('Counterexample: [1000]');
    expect(calls).toBe(1);
  });
});

describe('fuzzTimeout', () => {
  it("keeps the suite's timeout unless the run is scaled up", () => {
    expect(fuzzTimeout({})).toBeUndefined();
    expect(fuzzTimeout({ timeLimitMs: 10_000 })).toBe(80_000);
    expect(fuzzTimeout({ runs: 100_000 })).toBe(24 * 3600_000);
  });
});
