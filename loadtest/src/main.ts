#!/usr/bin/env node
/**
 * `pnpm bench <idle|chat|muc|mam|all> [options]`: Parley's load generator.
 * Figures go to stdout as aligned text followed by one JSON line; progress
 * goes to stderr.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { findMax, formatChatSteps, formatFindMax, runChat } from './bench-chat.js';
import type { ChatOptions, ChatStep, FindMaxResult } from './bench-chat.js';
import { formatIdle, runIdle } from './bench-idle.js';
import { formatFlood, runFlood } from './bench-flood.js';
import type { FloodKind, FloodResult } from './bench-flood.js';
import type { IdleResult, TargetOptions } from './bench-idle.js';
import { formatMam, MAM_QUERY_KINDS, prefillArchive, runMam } from './bench-mam.js';
import type { MamResult, PrefilledArchive } from './bench-mam.js';
import { defaultRoom, formatMuc, runMuc } from './bench-muc.js';
import type { MucResult } from './bench-muc.js';
import type { LoadMechanism } from './client.js';
import type { ServerProcessRef } from './bench-idle.js';
import { spawnCluster } from './cluster.js';
import type { SpawnedCluster } from './cluster.js';
import { startBenchPostgres } from './postgres.js';
import { startPeer } from './peers.js';
import type { PeerKind } from './peers.js';
import { pinProcess, cpuCount } from './pin.js';
import { serverNodeArgs, spawnServer } from './spawn.js';
import type { SpawnedServer } from './spawn.js';
import { errorText, formatPairs, fromPattern, intList } from './util.js';

const USAGE = `Parley load generator

  node loadtest/dist/src/main.js <idle|chat|muc|mam|flood|all> [options]   (pnpm bench <...>)

  idle   N authenticated idle connections; server RSS per connection, connect rate
  chat   P pairs exchanging messages at a total offered rate R; latency, loss, server CPU
  muc    one XEP-0045 room with N occupants, S senders at a total groupchat rate R;
         fan-out deliveries/s, latency to every occupant, loss, join time
  mam    XEP-0313 query latency on a pre-filled archive of M messages (LMDB);
         needs --spawn or --cluster (the archive is written before the server starts)
  flood  P pairs chatting at a total rate R, without and with one more client flooding
         (small messages, then large ones) as fast as TCP lets it; the others' latency
  all    idle, then chat

Target:
  --spawn                 start the single-node server (services/server/dist) as a child
                          with a fresh data dir, import the users, stop it at the end
  --cluster               start the local cluster instead (services/server local-cluster:
                          --gateways gateways, --registries session-registry workers,
                          nats-server with JetStream, redis-server; shared LMDB data dir);
                          user i connects to gateway ((i-1) mod gateways)+1, so the two
                          users of a pair are on different gateways
  --gateways N            with --cluster (default 2)
  --registries N          with --cluster (default 2)
  --mucs N                with --cluster: MUC workers (default: the local cluster's, 1)
  --peer ejabberd|prosody start Debian's ejabberd or Prosody instead (the same users and
                          domain, PLAIN without TLS on loopback, no archive; needs root);
                          --server-cpus pins it too (ejabberd then runs one scheduler per CPU)
  --server-pid PID[,PID]  server already running: read its RSS/CPU from /proc/PID
                          (a list for a cluster: the sums are reported)
  --host H                default 127.0.0.1
  --port P                default 5222 (with --spawn: a free port unless given)
  --ports P1,P2,...       a running cluster: spread the users over these gateway ports
                          like --cluster does
  --user-pattern P        default load%d@localhost
  --password-pattern P    default pw%d
  --mechanism M           PLAIN (default) | SCRAM-SHA-1 | SCRAM-SHA-256
  --starttls M            auto (default) | always | never
  --concurrency C         connections negotiating at once (default 200)
  --source-ips N          spread connections over 127.0.0.1..127.0.0.N (default 1)
  --server-cpus LIST      with --spawn: pin the server to these CPUs (taskset -c LIST, e.g. 0);
                          run the generator on the others (taskset -c 1 pnpm bench ...)
  --server-node-args A    node flags for the spawned server (or every cluster process), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
                          (with --spawn and one --server-cpus CPU, --single-threaded-gc is added unless
                          --no-single-threaded-gc or --single-threaded-gc is given)
  --scram-iterations I    PBKDF2 iterations for imported users (server default 4096)
  --store lmdb|postgres   durable store of the spawned server or cluster (default lmdb); postgres
                          starts a throw-away PostgreSQL (test kit), migrates it, and counts its
                          CPU (the postmaster and its backends) with the server's
  --server-env K=V[,K=V]  extra PARLEY_* settings for the spawned server or cluster processes,
                          e.g. PARLEY_MAM_INCLUDE_COUNT=false

idle:
  --connections N         default 10000
  --settle S              seconds to wait before the final RSS reading (default 5)
  --rounds R              login rounds (default 1): rounds 1..R-1 connect all N and close
                          them; the last round is held. The rounds share the generator's
                          SCRAM key cache (no client PBKDF2 after round 1) and are
                          reported one by one (rate, server CPU per login)
  --tls-resume            keep each user's TLS session ticket and offer it on the user's
                          next STARTTLS (rounds 2..R resume, as returning real clients do);
                          without it every handshake is a full one. Resumed handshakes
                          are counted per round
  --warmup-logins W       before round 1, W other users (N+1..N+W) log in and out, not
                          measured: round 1 then measures first logins on a server whose
                          code is already compiled, not V8 warming up

chat:
  --pairs P               default 500 (users 1..2P; both users of a pair send)
  --rate R                total offered msgs/s; a comma list runs several (default 5000)
  --duration S            measured seconds per rate (default 20)
  --warmup S              seconds at the rate before measuring (default 3)
  --drain S               after sending stops, messages not received when none arrived
                          for S seconds count as lost (default 5)
  --find-max              step the rate up from --rate (x --step-factor) until
                          p99 > --max-p99 ms, loss, or delivery falls behind
  --step-factor F         default 1.25
  --max-p99 MS            default 50
  --max-rate R            default 200000
  --retries N             find-max: run a failing rate again up to N times (default 1;
                          latency spikes from other processes on a shared machine)

muc:
  --occupants N           default 500 (users 1..N join as room/load<i>; load1 creates the
                          room: an instant room when it comes back locked, status 201)
  --senders S             occupants 1..S send groupchat messages (default 10)
  --rate R                total offered groupchat msgs/s, comma list for several (default 20);
                          deliveries/s = R x occupants
  --duration S, --warmup S, --drain S    as for chat (defaults 20, 3, 5)
  --room JID              default bench@conference.<domain of --user-pattern>
  --join-concurrency C    joins in flight at once (default 50)
  With --spawn/--cluster and more than 200 occupants, muc.roomDefaults.maxUsers (and
  muc.maxUsers above 1000) are raised to N; a server of your own needs the same.

mam:
  --messages M            messages pre-filled into load1's archive (default 100000), written
                          into <dataDir>/db with @parley/store before the server starts
  --queries Q             queries per run (default 200)
  --clients C[,C]         concurrent clients (all load1, own resources), closed loop; one run
                          per value and query kind (default 1,10)
  --page-size N           RSM <max/> (default 50)
  --range-size N          messages in the start/end window of the 'range' query (default 1000)
  --warmup-queries N      unmeasured queries of each kind first (default 5)
  --query-kinds K[,K]     which of last, with, range to run (default all three)
  Query kinds: last (newest page: <before/>), with (newest page with load2), range
  (first page of a start/end window mid-archive). Every answer is checked.

flood:
  --pairs P, --rate R, --duration S, --warmup S, --drain S   the chatting sessions, as for chat
                          (defaults 500 pairs, 1000 msgs/s, 10 s, 2 s, 5 s); users 2P+1
                          (small) and 2P+2 (large) flood
  --flood-phases K[,K]    none, small, large, in this order (default none,small,large)
  --flood-bytes N         body size of a large flood message (default 200000)
  Compare a run with the server's defaults (shaping on) with one with
  --server-env PARLEY_SHAPER_ENABLED=false.
`;

interface Report {
  bench: 'parley-loadtest';
  mode: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memMiB: number;
    node: string;
    loadAvg1m: number;
    note: string;
  };
  target: {
    host: string;
    port: number;
    spawned: boolean;
    serverPid: number | null;
    /** Every server process measured (cluster: gateways, workers, nats-server, redis-server). */
    serverProcesses: ServerProcessRef[];
    /** Gateway ports the users were spread over (cluster). */
    ports: number[];
    cluster: boolean;
    mechanism: string;
  };
  idle?: IdleResult;
  chat?: ChatStep[];
  muc?: MucResult;
  mam?: MamResult;
  flood?: FloodResult;
  findMax?: FindMaxResult & { maxP99Ms: number };
  error?: string;
}

function num(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      spawn: { type: 'boolean' },
      peer: { type: 'string' },
      cluster: { type: 'boolean' },
      gateways: { type: 'string' },
      registries: { type: 'string' },
      mucs: { type: 'string' },
      ports: { type: 'string' },
      'server-pid': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'user-pattern': { type: 'string' },
      'password-pattern': { type: 'string' },
      mechanism: { type: 'string' },
      starttls: { type: 'string' },
      concurrency: { type: 'string' },
      'source-ips': { type: 'string' },
      'server-node-args': { type: 'string' },
      'server-cpus': { type: 'string' },
      rounds: { type: 'string' },
      'tls-resume': { type: 'boolean' },
      'warmup-logins': { type: 'string' },
      'scram-iterations': { type: 'string' },
      'server-env': { type: 'string' },
      store: { type: 'string' },
      connections: { type: 'string' },
      settle: { type: 'string' },
      pairs: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      drain: { type: 'string' },
      'find-max': { type: 'boolean' },
      'step-factor': { type: 'string' },
      'max-p99': { type: 'string' },
      'max-rate': { type: 'string' },
      retries: { type: 'string' },
      occupants: { type: 'string' },
      senders: { type: 'string' },
      room: { type: 'string' },
      'join-concurrency': { type: 'string' },
      messages: { type: 'string' },
      queries: { type: 'string' },
      clients: { type: 'string' },
      'page-size': { type: 'string' },
      'range-size': { type: 'string' },
      'warmup-queries': { type: 'string' },
      'query-kinds': { type: 'string' },
      'flood-phases': { type: 'string' },
      'flood-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const mode = positionals[0];
  if (
    values.help ||
    (mode !== 'idle' &&
      mode !== 'chat' &&
      mode !== 'muc' &&
      mode !== 'mam' &&
      mode !== 'flood' &&
      mode !== 'all')
  ) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const mechanism = (values.mechanism ?? 'PLAIN').toUpperCase();
  if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-1' && mechanism !== 'SCRAM-SHA-256') {
    throw new Error(`--mechanism must be PLAIN, SCRAM-SHA-1 or SCRAM-SHA-256`);
  }
  const starttls = values.starttls ?? 'auto';
  if (starttls !== 'auto' && starttls !== 'always' && starttls !== 'never') {
    throw new Error('--starttls must be auto, always or never');
  }
  if (
    [
      values.spawn,
      values.cluster,
      values.peer !== undefined,
      values['server-pid'] !== undefined,
    ].filter(Boolean).length > 1
  )
    throw new Error('use only one of --spawn, --cluster, --peer and --server-pid');
  if (values.peer !== undefined && values.peer !== 'ejabberd' && values.peer !== 'prosody')
    throw new Error(`--peer must be ejabberd or prosody, got ${values.peer}`);
  if (values.peer !== undefined && (mode === 'mam' || mode === 'muc' || mode === 'flood'))
    throw new Error(`--peer runs the idle and chat benchmarks only`);
  if (values.cluster && (values.port !== undefined || values.ports !== undefined))
    throw new Error('--cluster picks free ports: no --port / --ports with it');
  if (mode === 'mam' && !values.spawn && !values.cluster)
    throw new Error('mam pre-fills the archive before the server starts: use --spawn or --cluster');

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const host = values.host ?? '127.0.0.1';
  const connections = Math.floor(num(values.connections, 'connections', 10_000));
  const pairs = Math.floor(num(values.pairs, 'pairs', 500));
  const rates = (values.rate ?? (mode === 'muc' ? '20' : mode === 'flood' ? '1000' : '5000'))
    .split(',')
    .map((r) => num(r.trim(), 'rate', 0));
  const userPattern = values['user-pattern'] ?? 'load%d@localhost';
  const passwordPattern = values['password-pattern'] ?? 'pw%d';
  const sourceIps = Math.floor(num(values['source-ips'], 'source-ips', 1));
  const occupants = Math.floor(num(values.occupants, 'occupants', 500));
  const mamMessages = Math.floor(num(values.messages, 'messages', 100_000));
  const warmupLogins = Math.floor(num(values['warmup-logins'], 'warmup-logins', 0));
  const needUsers =
    mode === 'muc'
      ? occupants
      : mode === 'mam'
        ? 3
        : mode === 'flood'
          ? pairs * 2 + 2
          : Math.max(
              mode !== 'chat' ? connections + (mode === 'idle' ? warmupLogins : 0) : 0,
              mode !== 'idle' ? pairs * 2 : 0,
            );

  let spawned: SpawnedServer | SpawnedCluster | undefined;
  let spawnedNodeArgs: string[] = [];
  let serverProcesses: ServerProcessRef[] =
    values['server-pid'] !== undefined
      ? intList(values['server-pid'], 'server-pid').map((pid) => ({ name: `pid ${pid}`, pid }))
      : [];
  let ports = values.ports !== undefined ? intList(values.ports, 'ports') : [];
  let port =
    values.port !== undefined ? Math.floor(num(values.port, 'port', 5222)) : (ports[0] ?? 5222);
  const extraEnv: Record<string, string> = {};
  if (values['scram-iterations'] !== undefined)
    extraEnv['PARLEY_SASL_SCRAM_ITERATIONS'] = values['scram-iterations'];
  for (const kv of (values['server-env'] ?? '').split(',').filter((x) => x.trim() !== '')) {
    const eq = kv.indexOf('=');
    const k = kv.slice(0, eq).trim();
    if (eq <= 0 || !k.startsWith('PARLEY_'))
      throw new Error(`--server-env takes PARLEY_NAME=value pairs, got ${kv}`);
    extraEnv[k] = kv.slice(eq + 1).trim();
  }
  if (mode === 'muc' && occupants > 200) {
    // New rooms admit 200 occupants by default (muc.roomDefaults.maxUsers), at most 1000 (muc.maxUsers).
    extraEnv['PARLEY_MUC_ROOM_DEFAULTS_MAX_USERS'] ??= String(occupants);
    if (occupants > 1000) extraEnv['PARLEY_MUC_MAX_USERS'] ??= String(occupants);
  }
  // mam: load1's archive is written into the data directory before the server starts.
  let archive: PrefilledArchive | undefined;
  const prepare =
    mode === 'mam'
      ? async (dataDir: string) => {
          archive = await prefillArchive(dataDir, {
            owner: fromPattern(userPattern, 1),
            partners: [fromPattern(userPattern, 2), fromPattern(userPattern, 3)],
            messages: mamMessages,
            log,
            ...(postgres ? { postgresUrl: postgres.url } : {}),
          });
          log(
            `mam: pre-filled ${mamMessages} messages in ${archive.seconds.toFixed(2)} s (${Math.round(archive.rate)}/s)`,
          );
        }
      : undefined;
  const store = values.store ?? 'lmdb';
  if (store !== 'lmdb' && store !== 'postgres')
    throw new Error(`--store: expected lmdb or postgres, got ${store}`);
  if (store === 'postgres' && !values.spawn && !values.cluster)
    throw new Error('--store postgres needs --spawn or --cluster');
  const postgres = store === 'postgres' ? await startBenchPostgres(log) : undefined;
  if (postgres) {
    extraEnv['PARLEY_STORE_KIND'] = 'postgres';
    extraEnv['PARLEY_STORE_POSTGRES_URL'] = postgres.url;
  }
  if (values.cluster) {
    const cluster = await spawnCluster({
      gateways: Math.max(1, Math.floor(num(values.gateways, 'gateways', 2))),
      registries: Math.max(1, Math.floor(num(values.registries, 'registries', 2))),
      ...(values.mucs !== undefined ? { mucs: Math.floor(num(values.mucs, 'mucs', 1)) } : {}),
      userPattern,
      passwordPattern,
      users: needUsers,
      env: extraEnv,
      log,
      ...(prepare ? { prepare } : {}),
      nodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
    });
    spawned = cluster;
    serverProcesses = cluster.processes;
    ports = cluster.ports;
    port = ports[0]!;
  } else if (values.peer !== undefined) {
    const kind = values.peer as PeerKind;
    const cpus = values['server-cpus'];
    const peer = await startPeer({
      kind,
      users: needUsers,
      userPattern,
      passwordPattern,
      log,
      ...(cpus !== undefined ? { erlangSchedulers: cpuCount(cpus) } : {}),
    });
    if (cpus !== undefined) await pinProcess(peer.pid, cpus);
    spawned = { pid: peer.pid, port: peer.port, dataDir: '', stop: peer.stop };
    serverProcesses = [{ name: kind, pid: peer.pid }];
    port = peer.port;
  } else if (values.spawn) {
    spawnedNodeArgs = serverNodeArgs({
      nodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
      ...(values['server-cpus'] !== undefined ? { cpus: values['server-cpus'] } : {}),
    });
    const server = await spawnServer({
      port: values.port !== undefined ? port : undefined,
      host,
      userPattern,
      passwordPattern,
      users: needUsers,
      nodeArgs: (values['server-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
      ...(values['server-cpus'] !== undefined ? { cpus: values['server-cpus'] } : {}),
      env: extraEnv,
      log,
      ...(prepare ? { prepare } : {}),
    });
    spawned = server;
    serverProcesses = [{ name: 'server', pid: server.pid }];
    port = server.port;
  }
  if (postgres) serverProcesses.push({ name: 'postgres', pid: postgres.pid });
  const serverPid = serverProcesses[0]?.pid;
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    log('interrupted: stopping');
    void (spawned?.stop() ?? Promise.resolve())
      .then(() => postgres?.stop())
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const target: TargetOptions = {
    host,
    port,
    userPattern,
    passwordPattern,
    mechanism: mechanism as LoadMechanism,
    starttls,
    concurrency: Math.max(1, Math.floor(num(values.concurrency, 'concurrency', 200))),
    localAddresses:
      sourceIps > 1 ? Array.from({ length: sourceIps }, (_, i) => `127.0.0.${i + 1}`) : [],
    ports,
    serverProcesses,
    log,
  };
  const cpuList = cpus();
  const report: Report = {
    bench: 'parley-loadtest',
    mode,
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      memMiB: Math.round(totalmem() / 1048576),
      node: process.version,
      loadAvg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      note: 'load generator and server run on the same machine and share its CPUs',
    },
    target: {
      host,
      port,
      spawned: spawned !== undefined,
      serverPid: serverPid ?? null,
      serverProcesses,
      ports,
      cluster: ports.length > 1,
      mechanism,
    },
  };
  function describeServer(cluster: boolean, isSpawned: boolean): string {
    const where =
      ports.length > 0
        ? `gateways at ${ports.map((p) => `${host}:${p}`).join(', ')} (${
            mode === 'muc'
              ? `occupant i on gateway ((i-1) mod ${ports.length})+1`
              : mode === 'mam'
                ? `query client k on gateway ((k-1) mod ${ports.length})+1`
                : `user i on gateway ((i-1) mod ${ports.length})+1: every pair crosses gateways`
          })`
        : `${host}:${port}`;
    const what = cluster
      ? 'spawned local cluster'
      : values.peer !== undefined
        ? `spawned ${values.peer} (Debian's)`
        : isSpawned
          ? 'spawned single-node server'
          : ports.length > 1
            ? 'external cluster'
            : 'external server';
    const pids =
      serverProcesses.length === 0
        ? ' (no pid: no RSS/CPU figures)'
        : serverProcesses.length === 1
          ? `, pid ${serverProcesses[0]!.pid}`
          : `; server CPU/RSS = sum of ${serverProcesses.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`;
    return `${what}, ${where}${pids}`;
  }
  const print = (s: string) => {
    process.stdout.write(`${s}\n\n`);
  };
  print(
    'Parley benchmark\n' +
      formatPairs([
        [
          'machine',
          `${report.machine.cpus} x ${report.machine.cpuModel}, ${report.machine.memMiB} MiB, node ${process.version}`,
        ],
        ['note', report.machine.note],
        ['load average (1 min)', `${report.machine.loadAvg1m} at start`],
        ['server', describeServer(values.cluster === true, spawned !== undefined)],
        ...(values.spawn === true
          ? ([['server node flags', spawnedNodeArgs.join(' ') || '(none)']] as Array<
              [string, string]
            >)
          : []),
        ['auth', `${mechanism}, STARTTLS ${starttls}`],
      ]),
  );

  let code = 0;
  try {
    if (mode === 'idle' || mode === 'all') {
      report.idle = await runIdle({
        ...target,
        connections,
        firstUser: 1,
        settleS: num(values.settle, 'settle', 5),
        rounds: Math.max(1, Math.floor(num(values.rounds, 'rounds', 1))),
        tlsResume: values['tls-resume'] === true,
        warmup: warmupLogins,
      });
      print(formatIdle(report.idle));
      if (report.idle.failed > 0) code = 1;
    }
    if (mode === 'chat' || mode === 'all') {
      const chatOpts: ChatOptions = {
        ...target,
        pairs,
        firstUser: 1,
        rate: rates[0] ?? 5000,
        durationS: num(values.duration, 'duration', 20),
        warmupS: num(values.warmup, 'warmup', 3),
        drainS: num(values.drain, 'drain', 5),
        maxP99Ms: num(values['max-p99'], 'max-p99', 50),
        stepFactor: num(values['step-factor'], 'step-factor', 1.25),
        maxRate: num(values['max-rate'], 'max-rate', 200_000),
        retries: Math.floor(num(values.retries, 'retries', 1)),
      };
      if (chatOpts.stepFactor <= 1) throw new Error('--step-factor must be > 1');
      if (values['find-max']) {
        const r = await findMax(chatOpts);
        report.findMax = { ...r, maxP99Ms: chatOpts.maxP99Ms };
        print(formatFindMax(r, chatOpts.maxP99Ms));
      } else {
        report.chat = await runChat(chatOpts, rates);
        print(
          formatChatSteps(
            `Chat: ${pairs} pairs, ${pairs * 2} senders, bare-JID chat messages` +
              (ports.length > 1 ? `, partners on different gateways (${ports.length})` : ''),
            report.chat,
          ),
        );
        if (report.chat.some((s) => s.lost > 0)) code = 1;
      }
    }
    if (mode === 'muc') {
      report.muc = await runMuc(
        {
          ...target,
          occupants,
          firstUser: 1,
          senders: Math.floor(num(values.senders, 'senders', 10)),
          room: values.room ?? defaultRoom(userPattern),
          joinConcurrency: Math.max(
            1,
            Math.floor(num(values['join-concurrency'], 'join-concurrency', 50)),
          ),
          durationS: num(values.duration, 'duration', 20),
          warmupS: num(values.warmup, 'warmup', 3),
          drainS: num(values.drain, 'drain', 5),
        },
        rates,
      );
      print(formatMuc(report.muc));
      if (
        report.muc.steps.some(
          (s) =>
            s.lost > 0 || s.errors > 0 || s.removed > 0 || s.duplicates > 0 || s.outOfOrder > 0,
        )
      )
        code = 1;
    }
    if (mode === 'flood') {
      report.flood = await runFlood({
        ...target,
        pairs,
        firstUser: 1,
        rate: rates[0] ?? 1000,
        durationS: num(values.duration, 'duration', 10),
        warmupS: num(values.warmup, 'warmup', 2),
        drainS: num(values.drain, 'drain', 5),
        maxP99Ms: 0,
        stepFactor: 2,
        maxRate: 0,
        retries: 0,
        phases: (values['flood-phases'] ?? 'none,small,large').split(',').map((k) => {
          const kind = (['none', 'small', 'large'] as const).find((x) => x === k.trim());
          if (kind === undefined)
            throw new Error(`--flood-phases takes none, small, large; got ${k}`);
          return kind as FloodKind;
        }),
        largeBytes: Math.max(1, Math.floor(num(values['flood-bytes'], 'flood-bytes', 200_000))),
      });
      print(formatFlood(report.flood));
      if (report.flood.phases.some((p) => p.chat.lost > 0)) code = 1;
    }
    if (mode === 'mam') {
      if (!archive) throw new Error('mam: the archive was not pre-filled');
      report.mam = await runMam(
        {
          ...target,
          user: 1,
          queries: Math.max(1, Math.floor(num(values.queries, 'queries', 200))),
          clients: intList(values.clients ?? '1,10', 'clients').map((c) => Math.max(1, c)),
          pageSize: Math.max(1, Math.floor(num(values['page-size'], 'page-size', 50))),
          rangeSize: Math.max(1, Math.floor(num(values['range-size'], 'range-size', 1000))),
          warmupQueries: Math.floor(num(values['warmup-queries'], 'warmup-queries', 5)),
          kinds: (values['query-kinds'] ?? MAM_QUERY_KINDS.join(',')).split(',').map((k) => {
            const kind = MAM_QUERY_KINDS.find((x) => x === k.trim());
            if (kind === undefined)
              throw new Error(`--query-kinds takes ${MAM_QUERY_KINDS.join(', ')}; got ${k}`);
            return kind;
          }),
        },
        archive,
      );
      print(formatMam(report.mam));
      if (report.mam.runs.some((r) => r.failed > 0)) code = 1;
    }
  } catch (err) {
    report.error = errorText(err);
    log(`error: ${report.error}`);
    code = 1;
  } finally {
    if (spawned && !stopping) {
      log(`stopping the ${'ports' in spawned ? 'cluster' : `server (pid ${spawned.pid})`}`);
      await spawned.stop();
    }
    await postgres?.stop();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${errorText(err)}`);
    process.exit(1);
  },
);
