import { describe, expect, it } from 'vitest';
import { FuzzSettingsError, fuzzSettings } from './settings.js';

describe('fuzzSettings', () => {
  it('is empty without PARLEY_FUZZ_* variables', () => {
    expect(fuzzSettings({})).toEqual({});
    expect(fuzzSettings({ PARLEY_FUZZ_RUNS: '' })).toEqual({});
  });

  it('reads runs, seed, path, time limit and report file', () => {
    expect(
      fuzzSettings({
        PARLEY_FUZZ_RUNS: '100000',
        PARLEY_FUZZ_SEED: '-1234',
        PARLEY_FUZZ_PATH: '7:0:2',
        PARLEY_FUZZ_TIME_MS: '15000',
        PARLEY_FUZZ_REPORT: '/tmp/fuzz.jsonl',
      }),
    ).toEqual({
      runs: 100000,
      seed: -1234,
      path: '7:0:2',
      timeLimitMs: 15000,
      reportFile: '/tmp/fuzz.jsonl',
    });
  });

  it('names the variable of a bad value', () => {
    expect(() => fuzzSettings({ PARLEY_FUZZ_RUNS: '0' })).toThrow(/PARLEY_FUZZ_RUNS .* '0'/);
    expect(() => fuzzSettings({ PARLEY_FUZZ_RUNS: '1e3' })).toThrow(FuzzSettingsError);
    expect(() => fuzzSettings({ PARLEY_FUZZ_TIME_MS: 'soon' })).toThrow(/PARLEY_FUZZ_TIME_MS/);
    expect(() => fuzzSettings({ PARLEY_FUZZ_SEED: '1.5' })).toThrow(/PARLEY_FUZZ_SEED/);
    expect(() => fuzzSettings({ PARLEY_FUZZ_PATH: '1:2' })).toThrow(/needs PARLEY_FUZZ_SEED/);
    expect(() => fuzzSettings({ PARLEY_FUZZ_SEED: '1', PARLEY_FUZZ_PATH: 'x' })).toThrow(
      /PARLEY_FUZZ_PATH/,
    );
  });
});
