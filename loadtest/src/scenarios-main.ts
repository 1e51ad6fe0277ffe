#!/usr/bin/env node
/**
 * `pnpm loadtest <scenario> [options]` (in loadtest/): the scenario-based
 * load generator. A coordinator starts the target (or uses a running one),
 * N worker processes that each drive a share of the sessions, prints
 * progress every second, and writes report.json and report.html.
 * `node scenarios-main.js __worker` is a worker (started by the coordinator).
 */
import { parseArgs } from 'node:util';
import { runScenario } from './scenarios/coordinator.js';
import { SCENARIOS, scenarioByName } from './scenarios/registry.js';
import { spawnLocalCluster, spawnSingle } from './scenarios/target.js';
import type { Target } from './scenarios/target.js';
import { scenarioConfig } from './scenarios/config.js';
import type { CommonConfig } from './scenarios/types.js';
import { workerMain } from './scenarios/worker.js';
import { errorText, intList } from './util.js';

function usage(): string {
  return `Parley scenario load generator

  pnpm loadtest <scenario> [options]        (in loadtest/; tsc -b, then node dist/src/scenarios-main.js)

Scenarios:
${SCENARIOS.map(
  (s) =>
    `  ${s.name.padEnd(16)} ${s.description}\n` +
    Object.entries(s.config)
      .map(([k, f]) => `      --${k.padEnd(16)} ${f.help} (default ${String(f.default)})`)
      .join('\n'),
).join('\n')}

Target:
  --spawn                 the single-node server as a child (fresh data dir, users imported)
  --cluster               the local cluster: --gateways G (2), --registries R (2), --mucs M (1),
                          nats-server (JetStream, monitoring endpoint) and redis-server
  --ports P1,P2,...       a running server or cluster (gateway ports); --server-pid PID,...
                          (gateways first, in port order) for RSS/CPU; users must exist
  --host H                default 127.0.0.1
  --server-env K=V,...    extra PARLEY_* settings for --spawn / --cluster
  --server-node-args A    node flags for the server processes
  --scram-iterations I    PBKDF2 iterations of the imported users (server default 4096)

Load:
  --sessions N            sessions (users load1..loadN; default 1000)
  --workers W             generator processes (default: ceil(N / --per-worker))
  --per-worker N          sessions per worker at most (default 15000)
  --nofile N              open-file limit of each worker (default 20000)
  --source-ips N          source addresses per worker: 127.0.<w+1>.1..N (default 2)
  --rate R                logins started per second, all workers (default 0: as fast as allowed)
  --handshakes H          negotiations in flight, all workers (default 400)
  --mechanism M           PLAIN (default) | SCRAM-SHA-1 | SCRAM-SHA-256
  --starttls M            auto (default: when required or needed for the mechanism) | always | never
  --tls-resume            each worker keeps its users' TLS session tickets and resumes them on
                          their next login (login-storm --rounds 2..)
  --login-timeout S       per negotiation (default 120)
  --deadline S            hard limit of the whole run; workers are killed after it (default 1800)
  --out DIR               report directory (default /tmp/parley-loadtest/<scenario>-<time>)
`;
}

async function main(): Promise<number> {
  const name = process.argv[2];
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const scenario = scenarioByName(name);
  if (!scenario) {
    process.stderr.write(`unknown scenario ${name}\n\n${usage()}`);
    return 2;
  }
  const { cfg, rest } = scenarioConfig(scenario, process.argv.slice(3));
  const { values } = parseArgs({
    args: rest,
    options: {
      spawn: { type: 'boolean' },
      cluster: { type: 'boolean' },
      gateways: { type: 'string' },
      registries: { type: 'string' },
      mucs: { type: 'string' },
      ports: { type: 'string' },
      host: { type: 'string' },
      'server-pid': { type: 'string' },
      'server-env': { type: 'string' },
      'server-node-args': { type: 'string' },
      'scram-iterations': { type: 'string' },
      sessions: { type: 'string' },
      workers: { type: 'string' },
      'per-worker': { type: 'string' },
      nofile: { type: 'string' },
      'source-ips': { type: 'string' },
      rate: { type: 'string' },
      handshakes: { type: 'string' },
      mechanism: { type: 'string' },
      starttls: { type: 'string' },
      'tls-resume': { type: 'boolean' },
      'login-timeout': { type: 'string' },
      deadline: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const int = (v: string | undefined, d: number, what: string): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${what} needs a non-negative number`);
    return n;
  };
  const mechanism = (values.mechanism ?? 'PLAIN') as CommonConfig['mechanism'];
  if (!['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'].includes(mechanism))
    throw new Error(`unknown mechanism ${mechanism}`);
  const starttls = (values.starttls ?? 'auto') as CommonConfig['starttls'];
  if (!['auto', 'always', 'never'].includes(starttls))
    throw new Error('--starttls must be auto, always or never');
  const common: CommonConfig = {
    sessions: int(values.sessions, 1000, 'sessions'),
    rate: int(values.rate, 0, 'rate'),
    handshakes: Math.max(1, int(values.handshakes, 400, 'handshakes')),
    sourceIps: int(values['source-ips'], 2, 'source-ips'),
    mechanism,
    userPattern: 'load%d@localhost',
    passwordPattern: 'pw%d',
    loginTimeoutMs: int(values['login-timeout'], 120, 'login-timeout') * 1000,
    starttls,
    tlsResume: values['tls-resume'] === true,
  };
  const perWorker = Math.max(1, int(values['per-worker'], 15000, 'per-worker'));
  const workers = Math.max(
    1,
    int(values.workers, Math.ceil(common.sessions / perWorker), 'workers'),
  );
  if (common.sessions / workers > perWorker)
    throw new Error(`${common.sessions} sessions over ${workers} workers exceed --per-worker`);
  const nofile = int(values.nofile, 20000, 'nofile');
  const deadlineS = int(values.deadline, 1800, 'deadline');
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const env: Record<string, string> = { ...scenario.serverEnv?.(common, cfg) };
  for (const kv of (values['server-env'] ?? '').split(',').filter((s) => s !== '')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--server-env: expected K=V, got ${kv}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (values['scram-iterations'] !== undefined)
    env['PARLEY_SASL_SCRAM_ITERATIONS'] = values['scram-iterations'];
  const nodeArgs = (values['server-node-args'] ?? '').split(' ').filter((s) => s !== '');
  const users = scenario.users?.(common, cfg) ?? common.sessions;
  const prepare = scenario.prepare
    ? (dir: string) => scenario.prepare!(dir, common, cfg, log)
    : undefined;
  const targetOpts = {
    users,
    userPattern: common.userPattern,
    passwordPattern: common.passwordPattern,
    env,
    log,
    nodeArgs,
    ...(prepare ? { prepare } : {}),
  };
  let target: Target;
  if (values.cluster) {
    target = await spawnLocalCluster({
      ...targetOpts,
      gateways: int(values.gateways, 2, 'gateways'),
      registries: int(values.registries, 2, 'registries'),
      mucs: int(values.mucs, 1, 'mucs'),
    });
  } else if (values.spawn) {
    if (scenario.needsCluster) throw new Error(`${scenario.name} needs --cluster or --ports`);
    target = await spawnSingle(targetOpts);
  } else if (values.ports) {
    const ports = intList(values.ports, 'ports');
    const pids = values['server-pid'] ? intList(values['server-pid'], 'server-pid') : [];
    target = {
      kind: 'external',
      host: values.host ?? '127.0.0.1',
      ports,
      processes: pids.map((pid, i) => ({
        name: i < ports.length ? `gateway-${i + 1}` : `server-${i + 1}`,
        pid,
        ...(i < ports.length ? { port: ports[i]! } : {}),
      })),
      stop: () => Promise.resolve(),
    };
  } else {
    throw new Error('choose a target: --spawn, --cluster or --ports');
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = values.out ?? `/tmp/parley-loadtest/${scenario.name}-${stamp}`;
  let report;
  try {
    report = await runScenario({
      scenario,
      common,
      cfg,
      target,
      workers,
      nofile,
      deadlineS,
      outDir,
      command: `pnpm loadtest ${process.argv.slice(2).join(' ')}`,
      log,
    });
  } finally {
    log('coordinator: stopping the target');
    await target.stop();
  }
  const summary = {
    scenario: report.scenario,
    durationS: report.durationS,
    deadlineHit: report.deadlineHit,
    totals: report.totals,
    latency: report.latency,
    loginLatency: report.loginLatency,
    figures: report.figures,
    server: report.server,
    errors: report.errors,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  log(`coordinator: reports in ${outDir}/report.json and report.html`);
  const bad = report.deadlineHit || report.totals['loginErrors']! > 0;
  return bad ? 1 : 0;
}

if (process.argv[2] === '__worker') {
  workerMain();
} else {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`loadtest: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
