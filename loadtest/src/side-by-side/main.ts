#!/usr/bin/env node
/**
 * `bash loadtest/side-by-side.sh [--quick]` (or `node
 * loadtest/dist/src/side-by-side/main.js`): Debian's ejabberd and Prosody,
 * Parley's single node and its local cluster, one after the other, the same
 * users and scenarios; one markdown table with the ratios to ejabberd on
 * stdout, and the table, notes and every figure as JSON in `--out`.
 * Progress goes to stderr and to `<out>/progress.log`.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { errorText } from '../util.js';
import { parseSideBySideArgs } from './args.js';
import { combineRuns } from './combine.js';
import type { SavedRun } from './combine.js';
import type { SideBySidePlan } from './args.js';
import { targetMeta } from './meta.js';
import type { TargetResult } from './results.js';
import { runTarget } from './scenarios.js';
import { formatMarkdownTable, formatNotes, tableRows } from './table.js';
import { Cleanup, debianVersion, makeCertificate, parleyVersion, pinSelf } from './targets.js';

interface Machine {
  cpus: number;
  cpuModel: string;
  memMiB: number;
  kernel: string;
  node: string;
  loadAvg1mAtStart: number;
}

function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memMiB: Math.round(totalmem() / 1048576),
    kernel: release(),
    node: process.version,
    loadAvg1mAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function report(
  heading: string,
  plan: SideBySidePlan,
  m: Machine,
  argv: string[],
  results: TargetResult[],
  status: string,
  extra: Record<string, unknown> = {},
): { markdown: string; json: string } {
  const table = formatMarkdownTable(results, tableRows(plan));
  const markdown = [
    heading,
    '',
    `\`bash loadtest/side-by-side.sh${argv.length > 0 ? ` ${argv.join(' ')}` : ''}\` on ${m.cpus} x ${m.cpuModel}, ${m.memMiB} MiB, Linux ${m.kernel}, node ${m.node}; ${status}.`,
    '',
    table,
    '',
    formatNotes(results),
    '',
  ].join('\n');
  const json = JSON.stringify(
    { bench: 'parley-side-by-side', ...extra, status, argv, plan, machine: m, results },
    null,
    1,
  );
  return { markdown, json };
}

/** `--combine`: one table from earlier runs' JSON, written to --out; no server is started. */
async function combine(plan: SideBySidePlan, argv: string[]): Promise<number> {
  const runs: SavedRun[] = [];
  for (const path of plan.combine) {
    const file = path.endsWith('.json') ? path : join(path, 'side-by-side.json');
    runs.push(JSON.parse(await readFile(file, 'utf8')) as SavedRun);
  }
  const c = combineRuns(runs);
  const m = (runs[0] as SavedRun & { machine: Machine }).machine;
  const from = c.sources
    .filter((s) => s.targets.length > 0)
    .map(
      (s) =>
        `${s.targets.join(', ')} from the run of ${s.started.slice(0, 16).replace('T', ' ')} UTC`,
    )
    .join('; ');
  const { markdown, json } = report(
    `## Side by side, combined: ${from}`,
    c.plan,
    m,
    argv,
    c.results,
    `combined from ${runs.length} runs`,
    { combined: c.sources },
  );
  await mkdir(plan.out, { recursive: true });
  await writeFile(join(plan.out, 'side-by-side.md'), markdown);
  await writeFile(join(plan.out, 'side-by-side.json'), `${json}\n`);
  process.stdout.write(`${markdown}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const started = new Date();
  const parsed = parseSideBySideArgs(argv, started);
  if ('help' in parsed) {
    process.stdout.write(parsed.help);
    return 0;
  }
  const plan = parsed;
  if (plan.combine.length > 0) return combine(plan, argv);
  const needsRoot = plan.targets.some((t) => t === 'ejabberd' || t === 'prosody');
  if (needsRoot && process.getuid?.() !== 0)
    throw new Error('ejabberd and Prosody are started as root (see src/peers.ts): run as root');
  await mkdir(plan.out, { recursive: true });
  const progress = createWriteStream(join(plan.out, 'progress.log'), { flags: 'a' });
  const log = (line: string) => {
    const stamped = `${new Date().toISOString().slice(11, 19)} ${line}\n`;
    process.stderr.write(stamped);
    progress.write(stamped);
  };
  const m = machine();
  const results: TargetResult[] = [];
  const cleanup = new Cleanup(log);
  const deadlineAt = Date.now() + plan.maxMinutes * 60_000;
  // No new step starts in the last two minutes: the servers still get stopped in time.
  const outOfTime = () => Date.now() > deadlineAt - 120_000;

  const write = async (status: string): Promise<string> => {
    const { markdown, json } = report(
      `## Side by side, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${plan.quick ? ' (--quick)' : ''}`,
      plan,
      m,
      argv,
      results,
      status,
      { started: started.toISOString() },
    );
    await writeFile(join(plan.out, 'side-by-side.md'), markdown);
    await writeFile(join(plan.out, 'side-by-side.json'), `${json}\n`);
    return markdown;
  };
  let ending = false;
  const abort = (why: string, code: number) => {
    if (ending) process.exit(code);
    ending = true;
    log(`${why}: stopping every server this run started`);
    void cleanup
      .stopAll()
      .then(() => write(`stopped early (${why}); partial results`))
      .then((md) => process.stdout.write(`${md}\n`))
      .catch((err: unknown) => log(`while stopping: ${errorText(err)}`))
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => abort('interrupted', 130));
  process.on('SIGTERM', () => abort('terminated', 143));
  const deadline = setTimeout(
    () => abort(`--max-minutes ${plan.maxMinutes} reached`, 1),
    plan.maxMinutes * 60_000,
  );

  try {
    await pinSelf(plan.generatorCpus);
    const tls = await makeCertificate(join(plan.out, 'tls'));
    const versions = {
      ejabberd: await debianVersion('ejabberd'),
      prosody: await debianVersion('prosody'),
      parley: await parleyVersion(),
    };
    log(
      `side by side: ${plan.targets.join(', ')}; ${plan.scenarios.join(', ')}; output in ${plan.out}`,
    );
    for (const name of plan.targets) {
      const t0 = Date.now();
      const result = await runTarget(name, targetMeta(name, plan, versions), {
        plan,
        tls,
        cleanup,
        log,
        outOfTime,
      });
      results.push(result);
      log(`${name}: done in ${Math.round((Date.now() - t0) / 1000)} s`);
      await write(`partial: ${results.length} of ${plan.targets.length} targets`);
    }
  } finally {
    clearTimeout(deadline);
    await cleanup.stopAll();
  }
  const failures = results.reduce((n, r) => n + r.errors.length, 0);
  const md = await write(failures === 0 ? 'complete' : `complete, ${failures} scenario(s) failed`);
  process.stdout.write(`${md}\n`);
  log(`written: ${join(plan.out, 'side-by-side.md')}, ${join(plan.out, 'side-by-side.json')}`);
  await new Promise<void>((resolve) => progress.end(resolve));
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`side-by-side: ${errorText(err)}`);
    process.exit(1);
  },
);
