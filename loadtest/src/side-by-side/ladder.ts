/**
 * A target's rate ladder: the fixed offered rates in order, stopping at the
 * first one the target cannot carry (saturated), then a search for the
 * highest sustained rate between the highest rate that passed and the lowest
 * that failed (or above the ladder when every rate passed). Generic over the
 * step runner, so the same logic drives chat, archived chat and MUC fan-out,
 * and the unit tests drive it with made-up steps.
 */

/** What the ladder needs to know about one measured step. */
export interface StepFigures {
  /** Offered rate (msgs/s). */
  rate: number;
  /** Sent per second in the window (below the offered rate: the generator was the limit). */
  sentRate: number;
  /** Delivered per second in the window. */
  deliveredRate: number;
  /** What delivery should have been: sentRate for chat, sentRate x occupants for MUC. */
  expectedDeliveredRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Missing after the drain. */
  lost: number;
  /** Error replies (MUC: also occupants removed, duplicates, reordering). */
  errors: number;
  /** Server CPU over the window, % of one core (null: not measured). */
  serverCpuPct: number | null;
  /** Every other process (not the server, not the generator), % of one core: disturbance. */
  otherCpuPct?: number | null;
}

export interface LadderStep extends StepFigures {
  phase: 'ladder' | 'search';
  /** Why the step is not sustained; null when it is. */
  verdict: string | null;
  saturated: boolean;
}

export interface LadderCriteria {
  maxP99Ms: number;
  saturationP99Ms: number;
  stepFactor: number;
  maxRate: number;
  retries: number;
  /** Search for the highest sustained rate after the ladder (chat); MUC runs the ladder only. */
  search: boolean;
}

export interface LadderResult {
  steps: LadderStep[];
  /** Highest offered rate that was sustained; null when none was. */
  maxSustained: number | null;
  /** Lowest offered rate above maxSustained that failed; null when none did (then maxSustained is a lower bound). */
  firstFailed: number | null;
  /** Why the ladder or the search stopped. */
  stopReason: string;
}

/** Why a step is not sustained, or undefined when it is. */
export function sustainedVerdict(s: StepFigures, maxP99Ms: number): string | undefined {
  if (s.lost > 0) return `${s.lost} lost`;
  if (s.errors > 0) return `${s.errors} errors`;
  if (s.sentRate < s.rate * 0.95) return 'the generator could not send at the offered rate';
  if (s.deliveredRate < s.expectedDeliveredRate * 0.95) return 'delivery fell behind';
  if (s.p99Ms === null) return 'no latency samples';
  if (s.p99Ms > maxP99Ms) return `p99 ${round1(s.p99Ms)} ms > ${maxP99Ms} ms`;
  return undefined;
}

/**
 * Saturated: the target (or the generator) cannot carry the rate at all, so
 * nothing higher is tried: loss, the generator behind, p99 above the
 * saturation bound, or delivery behind with p99 over the sustained bound (a
 * backlog that grows; the delivered count alone is noisy in a short window).
 */
export function isSaturated(
  s: StepFigures,
  c: Pick<LadderCriteria, 'maxP99Ms' | 'saturationP99Ms'>,
): boolean {
  if (s.lost > 0 || s.sentRate < s.rate * 0.95 || s.p99Ms === null) return true;
  if (s.p99Ms > c.saturationP99Ms) return true;
  return s.deliveredRate < s.expectedDeliveredRate * 0.95 && s.p99Ms > c.maxP99Ms;
}

function describe(step: LadderStep): string {
  return `${step.verdict ?? 'sustained'}${step.saturated ? ' (saturated)' : ''}`;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function judge(s: StepFigures, phase: LadderStep['phase'], c: LadderCriteria): LadderStep {
  return {
    ...s,
    phase,
    verdict: sustainedVerdict(s, c.maxP99Ms) ?? null,
    saturated: isSaturated(s, c),
  };
}

/** Search steps at most (the factor bounds them too; this bounds a factor close to 1). */
export const MAX_SEARCH_STEPS = 12;

export async function runLadder(
  rates: readonly number[],
  run: (rate: number) => Promise<StepFigures>,
  c: LadderCriteria,
  log: (line: string) => void,
  outOfTime: () => boolean = () => false,
): Promise<LadderResult> {
  const steps: LadderStep[] = [];
  let stopReason = 'every rate of the ladder was run';
  for (const rate of rates) {
    if (outOfTime()) {
      stopReason = `out of time before ${rate} msgs/s`;
      return summarize(steps, stopReason);
    }
    let step = judge(await run(rate), 'ladder', c);
    steps.push(step);
    log(`  ladder ${rate}/s: ${describe(step)}`);
    // A stall (the server busy with something else for a while) looks like saturation
    // for one step: it is run again before the ladder ends. Lost messages are no stall.
    for (let retry = 1; retry <= c.retries && step.saturated && step.lost === 0; retry++) {
      step = judge(await run(rate), 'ladder', c);
      steps.push(step);
      log(`  ladder ${rate}/s: ${describe(step)} (retry ${retry})`);
    }
    if (step.saturated) {
      stopReason = `saturated at ${rate} msgs/s: ${step.verdict ?? 'p99 above the saturation bound'}`;
      break;
    }
  }
  if (!c.search) return summarize(steps, stopReason);

  let { maxSustained, firstFailed } = summarize(steps, stopReason);
  if (maxSustained === null) return summarize(steps, stopReason);
  for (let n = 0; n < MAX_SEARCH_STEPS; n++) {
    const rate = Math.round(maxSustained * c.stepFactor);
    if (rate > c.maxRate) {
      stopReason = `reached the highest rate offered (${c.maxRate} msgs/s)`;
      break;
    }
    if (firstFailed !== null && rate >= firstFailed) {
      stopReason = `the next step (${rate}) is not below the lowest failed rate (${firstFailed})`;
      break;
    }
    if (outOfTime()) {
      stopReason = `out of time before ${rate} msgs/s`;
      break;
    }
    let step: LadderStep | undefined;
    for (let attempt = 0; attempt <= c.retries; attempt++) {
      step = judge(await run(rate), 'search', c);
      steps.push(step);
      log(
        `  search ${rate}/s: ${step.verdict ?? 'sustained'}${attempt > 0 ? ` (retry ${attempt})` : ''}`,
      );
      // Loss, errors and saturation are not noise: no retry for them.
      if (step.verdict === null || step.lost > 0 || step.errors > 0 || step.saturated) break;
    }
    if (step!.verdict !== null) {
      firstFailed = rate;
      stopReason = `at ${rate} msgs/s: ${step!.verdict}`;
      break;
    }
    maxSustained = rate;
  }
  return { steps, maxSustained, firstFailed, stopReason };
}

/** The highest sustained rate and the lowest failed rate above it, over every step run. */
export function summarize(steps: LadderStep[], stopReason: string): LadderResult {
  // A rate counts as sustained when one of its attempts was (retries are for noise).
  const passed = new Set(steps.filter((s) => s.verdict === null).map((s) => s.rate));
  const maxSustained = passed.size > 0 ? Math.max(...passed) : null;
  const failedAbove = steps
    .filter((s) => !passed.has(s.rate) && (maxSustained === null || s.rate > maxSustained))
    .map((s) => s.rate);
  return {
    steps,
    maxSustained,
    firstFailed: failedAbove.length > 0 ? Math.min(...failedAbove) : null,
    stopReason,
  };
}
