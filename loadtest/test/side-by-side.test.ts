import { describe, expect, it } from 'vitest';
import { parseSideBySideArgs, timeStamp } from '../src/side-by-side/args.js';
import type { SideBySidePlan } from '../src/side-by-side/args.js';
import { isSaturated, runLadder, summarize, sustainedVerdict } from '../src/side-by-side/ladder.js';
import type {
  LadderCriteria,
  LadderResult,
  LadderStep,
  StepFigures,
} from '../src/side-by-side/ladder.js';
import { combineRuns } from '../src/side-by-side/combine.js';
import { waitQuiet } from '../src/side-by-side/quiet.js';
import type { TargetResult } from '../src/side-by-side/results.js';
import {
  fmtNum,
  formatMarkdownTable,
  formatNotes,
  ratio,
  tableRows,
} from '../src/side-by-side/table.js';

const NOW = new Date('2026-12-08T10:15:30.123Z');

function plan(argv: string[]): SideBySidePlan {
  const p = parseSideBySideArgs(argv, NOW);
  if ('help' in p) throw new Error('help');
  return p;
}

describe('side-by-side arguments', () => {
  it('defaults to every target and scenario, the full sizes, and a timed output directory', () => {
    const p = plan([]);
    expect(p.targets).toEqual(['ejabberd', 'prosody', 'parley', 'parley-cluster']);
    expect(p.scenarios).toEqual(['idle', 'tls', 'chat', 'mam', 'muc']);
    expect(p).toMatchObject({
      quick: false,
      sessions: 10_000,
      tlsSessions: 5_000,
      pairs: 500,
      rates: [1000, 2000, 5000, 7500],
      mamRates: [250, 500, 1000, 2000, 5000],
      durationS: 10,
      stepFactor: 1.25,
      retries: 1,
      mucOccupants: 200,
      mucRates: [5, 10, 20],
      serverCpus: '0',
      generatorCpus: '1',
      clusterCpus: '0,1',
      ejabberdPasswords: 'scram',
      maxMinutes: 60,
      out: '/tmp/parley-side-by-side/2026-12-08T10-15-30Z',
    });
    expect(timeStamp(NOW)).toBe('2026-12-08T10-15-30Z');
  });

  it('--quick shrinks the defaults but not what is given explicitly', () => {
    const p = plan(['--quick', '--sessions', '3000', '--rates', '500,1000']);
    expect(p).toMatchObject({
      quick: true,
      sessions: 3000,
      tlsSessions: 1000,
      pairs: 250,
      rates: [500, 1000],
      durationS: 5,
      stepFactor: 1.5,
      retries: 0,
      mucOccupants: 100,
      mucRates: [10],
      maxMinutes: 20,
    });
  });

  it('keeps targets and scenarios in the canonical order, ejabberd (the baseline) first', () => {
    const p = plan(['--targets', 'parley,ejabberd', '--scenarios', 'muc,idle']);
    expect(p.targets).toEqual(['ejabberd', 'parley']);
    expect(p.scenarios).toEqual(['idle', 'muc']);
  });

  it('refuses bad input with the option named', () => {
    expect(() => plan(['--targets', 'openfire'])).toThrow(/--targets/);
    expect(() => plan(['--rates', '2000,1000'])).toThrow(/--rates must increase/);
    expect(() => plan(['--rates', '1000,x'])).toThrow(/--rates/);
    expect(() => plan(['--sessions', '0'])).toThrow(/--sessions/);
    expect(() => plan(['--step-factor', '1'])).toThrow(/--step-factor/);
    expect(() => plan(['--muc-occupants', '500'])).toThrow(/at most 200/);
    expect(() => plan(['--server-cpus', 'zero'])).toThrow(/CPU list/);
    expect(() => plan(['--ejabberd-passwords', 'md5'])).toThrow(/scram or plain/);
    expect(() => plan(['extra'])).toThrow(/unexpected argument/);
    expect(() => plan(['--no-such-option'])).toThrow();
  });

  it('answers --help with the usage', () => {
    const r = parseSideBySideArgs(['--help'], NOW);
    expect('help' in r && r.help).toContain('--quick');
  });
});

const CRITERIA: LadderCriteria = {
  maxP99Ms: 50,
  saturationP99Ms: 1000,
  stepFactor: 1.25,
  maxRate: 40_000,
  retries: 1,
  search: true,
};

/** A made-up target: carries up to `capacity` msgs/s, p99 grows with load. */
function fakeTarget(capacity: number, p99At: (rate: number) => number = () => 5) {
  const offered: number[] = [];
  const run = (rate: number): Promise<StepFigures> => {
    offered.push(rate);
    const delivered = Math.min(rate, capacity);
    return Promise.resolve({
      rate,
      sentRate: rate,
      deliveredRate: delivered,
      expectedDeliveredRate: rate,
      p50Ms: 1,
      p99Ms: rate > capacity ? 5000 : p99At(rate),
      lost: 0,
      errors: 0,
      serverCpuPct: (rate / capacity) * 100,
    });
  };
  return { run, offered };
}

describe('side-by-side rate ladder', () => {
  it('stops the ladder at the first saturated rate and searches between the last sustained and it', async () => {
    const t = fakeTarget(1500);
    const r = await runLadder([1000, 2000, 5000, 7500], t.run, CRITERIA, () => {});
    // 2,000 saturates twice (once more in case it was a stall), then the search.
    expect(t.offered).toEqual([1000, 2000, 2000, 1250, 1563]);
    expect(r.maxSustained).toBe(1250);
    expect(r.firstFailed).toBe(1563);
    expect(r.steps.filter((s) => s.phase === 'ladder').map((s) => s.saturated)).toEqual([
      false,
      true,
      true,
    ]);
    expect(r.stopReason).toBe('at 1563 msgs/s: p99 5000 ms > 50 ms');
  });

  it('runs a saturated ladder step once more: a stall of the server is not saturation', async () => {
    const t = fakeTarget(100_000);
    let stalled = false;
    const run = async (rate: number): Promise<StepFigures> => {
      const s = await t.run(rate);
      if (rate === 1000 && !stalled) {
        stalled = true;
        return { ...s, deliveredRate: 1300, p50Ms: 0.5, p99Ms: 3300 };
      }
      return s;
    };
    const r = await runLadder([1000, 2000], run, { ...CRITERIA, search: false }, () => {});
    expect(t.offered).toEqual([1000, 1000, 2000]);
    expect(r.maxSustained).toBe(2000);
    const md = formatMarkdownTable(
      [
        {
          target: 'ejabberd',
          title: 'ejabberd',
          software: '',
          passwords: '',
          cpus: '',
          archive: '',
          errors: [],
          seconds: 1,
          chat: r,
        },
      ],
      tableRows(plan(['--scenarios', 'chat', '--rates', '1000,2000'])),
    );
    // The table shows the retry, not the stalled first attempt.
    expect(md).toContain('| p50 / p99 ms at 1,000 msgs/s | lower | 1 / 5 |');
    // Lost messages are not retried.
    const lossy = fakeTarget(100_000);
    const r2 = await runLadder(
      [1000, 2000],
      async (rate) => ({ ...(await lossy.run(rate)), lost: 3 }),
      CRITERIA,
      () => {},
    );
    expect(lossy.offered).toEqual([1000]);
    expect(r2.stopReason).toBe('saturated at 1000 msgs/s: 3 lost');
  });

  it('searches above the ladder when every rate passed, up to the highest rate offered', async () => {
    const t = fakeTarget(100_000);
    const r = await runLadder([1000, 2000], t.run, { ...CRITERIA, maxRate: 3500 }, () => {});
    expect(t.offered).toEqual([1000, 2000, 2500, 3125]);
    expect(r.maxSustained).toBe(3125);
    expect(r.firstFailed).toBeNull();
    expect(r.stopReason).toMatch(/highest rate offered/);
  });

  it('runs a step failing on latency once more, and goes on through the ladder past it', async () => {
    const t = fakeTarget(10_000, (rate) => (rate === 2000 ? 80 : 5));
    const r = await runLadder([1000, 2000, 5000], t.run, { ...CRITERIA, maxRate: 6000 }, () => {});
    // 2,000 fails on p99 only: not saturated, so 5,000 still runs; the search starts above 5,000.
    expect(t.offered).toEqual([1000, 2000, 5000]);
    expect(r.maxSustained).toBe(5000);
    expect(r.steps.find((s) => s.rate === 2000)?.verdict).toBe('p99 80 ms > 50 ms');
    const retried = fakeTarget(10_000, (rate) => (rate === 2500 ? 80 : 5));
    await runLadder([2000], retried.run, { ...CRITERIA, maxRate: 2600 }, () => {});
    expect(retried.offered).toEqual([2000, 2500, 2500]);
  });

  it('runs the ladder only when the search is off, and stops when time is up', async () => {
    const t = fakeTarget(100_000);
    const r = await runLadder([5, 10, 20], t.run, { ...CRITERIA, search: false }, () => {});
    expect(t.offered).toEqual([5, 10, 20]);
    expect(r.maxSustained).toBe(20);
    const late = fakeTarget(100_000);
    let calls = 0;
    const r2 = await runLadder(
      [1, 2, 3],
      late.run,
      CRITERIA,
      () => {},
      () => ++calls > 1,
    );
    expect(late.offered).toEqual([1]);
    expect(r2.stopReason).toBe('out of time before 2 msgs/s');
  });

  it('calls a short delivery shortfall with a low p99 window noise, not saturation', () => {
    const s: StepFigures = {
      rate: 1,
      sentRate: 1.5,
      deliveredRate: 10,
      expectedDeliveredRate: 15,
      p50Ms: 14,
      p99Ms: 35,
      lost: 0,
      errors: 0,
      serverCpuPct: 0,
    };
    expect(sustainedVerdict(s, 50)).toBe('delivery fell behind');
    expect(isSaturated(s, CRITERIA)).toBe(false);
    expect(isSaturated({ ...s, p99Ms: 60 }, CRITERIA)).toBe(true);
    expect(isSaturated({ ...s, deliveredRate: 15, p99Ms: 1001 }, CRITERIA)).toBe(true);
    expect(isSaturated({ ...s, deliveredRate: 15, lost: 1 }, CRITERIA)).toBe(true);
  });

  it('has no sustained rate when even the first failed', () => {
    const s: LadderStep = {
      rate: 1000,
      sentRate: 1000,
      deliveredRate: 400,
      expectedDeliveredRate: 1000,
      p50Ms: 900,
      p99Ms: 3000,
      lost: 0,
      errors: 0,
      serverCpuPct: 100,
      phase: 'ladder',
      verdict: 'delivery fell behind',
      saturated: true,
    };
    expect(summarize([s], 'x')).toMatchObject({ maxSustained: null, firstFailed: 1000 });
  });
});

describe('side-by-side table', () => {
  it('formats numbers and ratios', () => {
    expect(fmtNum(19531.2)).toBe('19,531');
    expect(fmtNum(47.26)).toBe('47.3');
    expect(fmtNum(2.14)).toBe('2.1');
    expect(fmtNum(0.414)).toBe('0.41');
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(50)).toBe('50');
    expect(fmtNum(5)).toBe('5');
    expect(ratio(16, 69)).toBe('0.23x');
    expect(ratio(19900, 9900)).toBe('2.0x');
    expect(ratio(160, 10)).toBe('16x');
    expect(ratio(1, null)).toBe('');
    expect(ratio(null, 1)).toBe('');
    expect(ratio(1, 0)).toBe('');
  });

  const step = (rate: number, p99: number, over: Partial<LadderStep> = {}): LadderStep => ({
    rate,
    sentRate: rate,
    deliveredRate: rate,
    expectedDeliveredRate: rate,
    p50Ms: 1,
    p99Ms: p99,
    lost: 0,
    errors: 0,
    serverCpuPct: rate / 100,
    phase: 'ladder',
    verdict: null,
    saturated: false,
    ...over,
  });
  const ladder = (
    steps: LadderStep[],
    max: number | null,
    failed: number | null,
  ): LadderResult => ({
    steps,
    maxSustained: max,
    firstFailed: failed,
    stopReason: 'test',
  });
  const login = (rate: number, cpu: number, kib: number | null) => ({
    sessions: 100,
    failed: 0,
    loginsPerS: rate,
    serverCpuMsPerLogin: cpu,
    serverCpuPct: 50,
    clientCpuPct: 40,
    otherCpuPct: 1,
    kibPerSession: kib,
    rssBeforeKiB: 1,
    rssAfterKiB: 2,
  });
  const result = (over: Partial<TargetResult>): TargetResult => ({
    target: 'ejabberd',
    title: 'ejabberd',
    software: 'ejabberd 23.01',
    passwords: 'salted',
    cpus: 'CPU 0',
    archive: 'Mnesia',
    errors: [],
    seconds: 1,
    ...over,
  });

  it('has a column per target, ratios to the first, p99 ratios for latency, and marks saturation', () => {
    const p = plan(['--rates', '1000,2000', '--scenarios', 'idle,chat']);
    const ej = result({
      idle: { first: login(1700, 0.5, 69), again: login(1700, 0.5, null) },
      chat: ladder([step(1000, 2), step(2000, 4)], 9900, 12_375),
    });
    const parley = result({
      target: 'parley',
      title: 'Parley',
      idle: { first: login(900, 1.1, 16), again: login(2900, 0.33, null) },
      chat: ladder(
        [
          step(1000, 3),
          step(2000, 0, { saturated: true, deliveredRate: 1500, p99Ms: 3000, lost: 12 }),
        ],
        1000,
        2000,
      ),
      errors: [],
    });
    const prosody = result({
      target: 'prosody',
      title: 'Prosody',
      errors: [{ scenario: 'idle', error: 'boom' }],
      chat: ladder([step(1000, 1)], null, 1000),
    });
    const md = formatMarkdownTable([ej, prosody, parley], tableRows(p));
    const lines = md.split('\n');
    expect(lines[0]).toBe('|  | better | ejabberd | Prosody | ÷ ejabberd | Parley | ÷ ejabberd |');
    expect(lines[1]).toBe('|---|---|---:|---:|---:|---:|---:|');
    expect(md).toContain(
      '| KiB per idle session (10,000 held, PLAIN) | lower | 69 | failed (see notes) |  | 16 | 0.23x |',
    );
    expect(md).toContain(
      '| PLAIN logins/s, the same users again | higher | 1,700 | failed (see notes) |  | 2,900 | 1.7x |',
    );
    expect(md).toContain(
      '| highest sustained msgs/s (p99 ≤ 50 ms, no loss) | higher | 9,900 | < 1,000 |  | 1,000 | 0.10x |',
    );
    expect(md).toContain(
      '| p50 / p99 ms at 1,000 msgs/s | lower | 1 / 2 | 1 / 1 | 0.50x | 1 / 3 | 1.5x |',
    );
    expect(md).toContain(
      '| p50 / p99 ms at 2,000 msgs/s | lower | 1 / 4 | not run |  | saturated: 1,500/s delivered, 1 / 3,000, 12 lost |  |',
    );
    // Server CPU per message: 20% of a core at 2,000 msgs/s = 100 µs.
    expect(md).toContain(
      '| server CPU per message at 2,000 msgs/s, µs | lower | 100 | n/a |  | saturated |  |',
    );
    // Only the scenarios of the plan have rows.
    expect(md).not.toContain('TLS');
    expect(md).not.toContain('MUC');
    expect(md).not.toContain('archived');
    const notes = formatNotes([ej, prosody]);
    expect(notes).toContain(
      '- **ejabberd**: ejabberd 23.01; passwords: salted; archive: Mnesia; CPU 0.',
    );
    expect(notes).toContain('  - idle failed: boom');
  });

  it('shows a lower bound when the search never failed, and MUC rows per rate', () => {
    const p = plan([
      '--scenarios',
      'chat,muc',
      '--rates',
      '1000',
      '--muc-rates',
      '5,10',
      '--muc-occupants',
      '100',
    ]);
    const ej = result({
      chat: ladder([step(1000, 2)], 40_000, null),
      muc: { occupants: 100, senders: 10, joinsPerS: 50, ladder: ladder([step(5, 20)], 5, null) },
    });
    const md = formatMarkdownTable([ej], tableRows(p));
    expect(md).toContain('| highest sustained msgs/s (p99 ≤ 50 ms, no loss) | higher | ≥ 40,000 |');
    expect(md).toContain('| MUC joins/s (100 occupants, one room) | higher | 50 |');
    expect(md).toContain(
      '| MUC p50 / p99 ms, 5 msgs/s to 100 occupants (500 deliveries/s) | lower | 1 / 20 |',
    );
    expect(md).toContain(
      '| MUC p50 / p99 ms, 10 msgs/s to 100 occupants (1,000 deliveries/s) | lower | not run |',
    );
  });

  it('has the archived rows at the archived rates, CPU per message at 1,000 msgs/s', () => {
    const p = plan(['--scenarios', 'mam', '--mam-rates', '500,1000,2000']);
    const labels = tableRows(p).map((r) => r.label);
    expect(labels).toEqual([
      'highest sustained msgs/s, every message archived (p99 ≤ 50 ms, no loss)',
      'p50 / p99 ms at 500 msgs/s, every message archived',
      'p50 / p99 ms at 1,000 msgs/s, every message archived',
      'p50 / p99 ms at 2,000 msgs/s, every message archived',
      'server CPU per message at 1,000 msgs/s, every message archived, µs',
    ]);
  });

  it('escapes pipes in cells', () => {
    const p = plan(['--scenarios', 'idle']);
    const r = result({ title: 'a|b' });
    expect(formatMarkdownTable([r], tableRows(p)).split('\n')[0]).toBe('|  | better | a\\|b |');
    expect(formatMarkdownTable([], tableRows(p))).toBe('(no target was run)');
  });
});

describe('side-by-side quiet wait', () => {
  const meter = (readings: (number | undefined)[]) => {
    let i = 0;
    return () => Promise.resolve(readings[Math.min(i++, readings.length - 1)]);
  };

  it('waits until the target stays below the bound for two readings', async () => {
    const r = await waitQuiet([1], { measure: meter([90, 40, 5, 30, 4, 3, 50]) });
    expect(r).toEqual({ seconds: 6, quiet: true, lastCpuPct: 3 });
  });

  it('gives up after the timeout, and does not wait for processes it cannot read', async () => {
    expect(await waitQuiet([1], { measure: meter([80]), timeoutS: 3 })).toEqual({
      seconds: 3,
      quiet: false,
      lastCpuPct: 80,
    });
    expect(await waitQuiet([1], { measure: meter([undefined]) })).toMatchObject({
      seconds: 1,
      quiet: true,
    });
  });
});

describe('side-by-side --combine', () => {
  const target = (t: TargetResult['target'], seconds: number): TargetResult => ({
    target: t,
    title: t,
    software: '',
    passwords: '',
    cpus: '',
    archive: '',
    errors: [],
    seconds,
  });
  const run = (started: string, argv: string[], results: TargetResult[]) => ({
    started,
    status: 'complete',
    argv,
    plan: plan(argv),
    results,
  });

  it('takes the targets in the canonical order, a later run replacing an earlier one', () => {
    const c = combineRuns([
      run('2026-12-07T23:12:00Z', [], [target('ejabberd', 1), target('prosody', 2)]),
      run(
        '2026-12-07T23:30:00Z',
        ['--targets', 'prosody,parley'],
        [target('parley', 3), target('prosody', 4)],
      ),
    ]);
    expect(c.results.map((r) => [r.target, r.seconds])).toEqual([
      ['ejabberd', 1],
      ['prosody', 4],
      ['parley', 3],
    ]);
    expect(c.plan.targets).toEqual(['ejabberd', 'prosody', 'parley']);
    expect(c.sources).toEqual([
      { started: '2026-12-07T23:12:00Z', targets: ['ejabberd'] },
      { started: '2026-12-07T23:30:00Z', targets: ['prosody', 'parley'] },
    ]);
  });

  it('refuses runs that measured with other sizes or rates', () => {
    expect(() => combineRuns([run('a', [], []), run('b', ['--quick'], [])])).toThrow(
      /differ in sessions/,
    );
    expect(() => combineRuns([])).toThrow(/no run/);
  });
});
