/**
 * One table from several runs (`--combine`): a run cut short and a run of
 * the targets it missed, say. The runs must agree on everything that shapes
 * a figure (sizes, rates, criteria, password policy); a target measured by a
 * later run replaces an earlier run's.
 */
import { TARGETS } from './args.js';
import type { ScenarioName, SideBySidePlan } from './args.js';
import type { TargetResult } from './results.js';

/** What side-by-side.json holds (the fields used here). */
export interface SavedRun {
  started: string;
  status: string;
  argv: string[];
  plan: SideBySidePlan;
  results: TargetResult[];
}

/** The plan fields every combined run must share. */
export const SHARED_PLAN_FIELDS = [
  'sessions',
  'tlsSessions',
  'loginConcurrency',
  'settleS',
  'pairs',
  'rates',
  'mamRates',
  'warmupS',
  'durationS',
  'drainS',
  'maxP99Ms',
  'saturationP99Ms',
  'stepFactor',
  'mucOccupants',
  'mucSenders',
  'mucRates',
  'serverCpus',
  'generatorCpus',
  'clusterCpus',
  'ejabberdPasswords',
] as const satisfies readonly (keyof SideBySidePlan)[];

export interface Combined {
  plan: SideBySidePlan;
  results: TargetResult[];
  /** Per run: when it started and the targets taken from it. */
  sources: { started: string; targets: string[] }[];
}

export function combineRuns(runs: SavedRun[]): Combined {
  if (runs.length === 0) throw new Error('--combine: no run given');
  const first = runs[0]!;
  for (const run of runs.slice(1)) {
    for (const field of SHARED_PLAN_FIELDS) {
      if (JSON.stringify(run.plan[field]) !== JSON.stringify(first.plan[field]))
        throw new Error(
          `--combine: the runs of ${first.started} and ${run.started} differ in ${field} (${JSON.stringify(first.plan[field])} / ${JSON.stringify(run.plan[field])})`,
        );
    }
  }
  const byTarget = new Map<string, { result: TargetResult; run: number }>();
  runs.forEach((run, i) => {
    for (const r of run.results) byTarget.set(r.target, { result: r, run: i });
  });
  const results = TARGETS.flatMap((t) => {
    const x = byTarget.get(t);
    return x ? [x.result] : [];
  });
  const scenarios = new Set<ScenarioName>(runs.flatMap((r) => r.plan.scenarios));
  return {
    plan: {
      ...first.plan,
      targets: results.map((r) => r.target),
      scenarios: first.plan.scenarios.concat(
        [...scenarios].filter((s) => !first.plan.scenarios.includes(s)),
      ),
    },
    results,
    sources: runs.map((run, i) => ({
      started: run.started,
      targets: [...byTarget.values()].filter((x) => x.run === i).map((x) => x.result.target),
    })),
  };
}
