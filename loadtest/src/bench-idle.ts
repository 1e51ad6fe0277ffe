/**
 * Idle connections: N authenticated, bound, available sessions that send
 * nothing, opened with bounded concurrency. Measures the server's RSS before
 * and after, and how fast the connections were established.
 */
import { LoadClient } from './client.js';
import type { LoadMechanism } from './client.js';
import {
  cpuMeter,
  errorText,
  fmt,
  fmtInt,
  formatPairs,
  machineCpuMeter,
  fromPattern,
  readPeakRssKiB,
  readRssKiB,
  round,
  runPool,
  selfCpuMeter,
  sleep,
  sumOver,
} from './util.js';

export interface TargetOptions {
  host: string;
  port: number;
  /** JID pattern with %d, e.g. `load%d@localhost`. */
  userPattern: string;
  /** Password pattern with %d, e.g. `pw%d`. */
  passwordPattern: string;
  mechanism: LoadMechanism;
  starttls: 'auto' | 'always' | 'never';
  /** Connections negotiating at the same time. */
  concurrency: number;
  /** Source addresses to spread connections over (round robin); empty = default. */
  localAddresses: string[];
  /**
   * Client ports to spread the connections over: connection i (user
   * firstUser+i) goes to ports[i % ports.length], so with a cluster the two
   * users of a pair land on different gateways. Empty: `port` for all.
   */
  ports: number[];
  /**
   * The server's processes, for RSS and CPU readings (summed over all of
   * them: one for the single node; gateways, workers, nats-server and
   * redis-server for a cluster). Empty: no server figures.
   */
  serverProcesses: ServerProcessRef[];
  /** Progress lines go here (stderr). */
  log: (line: string) => void;
}

export interface ServerProcessRef {
  name: string;
  pid: number;
}

export interface IdleOptions extends TargetOptions {
  connections: number;
  /** First user index (default 1). */
  firstUser: number;
  /** Wait after the last connection before measuring, seconds. */
  settleS: number;
  /**
   * Login rounds (default 1): every round but the last opens all N
   * connections and closes them again; the last one is held for the RSS
   * figures. All rounds share one SCRAM SaltedPassword cache, so from round 2
   * on the generator does no PBKDF2 (it cannot offer more than a few hundred
   * SCRAM logins/s on one core otherwise), and the server sees users that
   * logged in before (a reconnect storm).
   */
  rounds?: number;
  /**
   * The generator's SCRAM SaltedPassword cache to use (default: a new one for
   * this run); passing the cache of an earlier run makes its users' logins
   * cost the generator no PBKDF2 from the first round on.
   */
  scramCache?: Map<string, Buffer>;
  /**
   * Keep each user's TLS session and resume it on the user's next login
   * (from round 2 on, as a returning real client does). Default false: every
   * STARTTLS is a full handshake.
   */
  tlsResume?: boolean;
  /**
   * Before round 1, this many other users (connections+1 ..) log in and out,
   * unmeasured, so that round 1 measures first logins on a server whose code
   * V8 has already optimized (default 0).
   */
  warmup?: number;
}

/** One login round of the idle benchmark. */
export interface LoginRound {
  round: number;
  connections: number;
  failed: number;
  seconds: number;
  rate: number;
  serverCpuPct: number | null;
  /** Server CPU (all its threads) per established connection, ms. */
  serverCpuMsPerLogin: number | null;
  clientCpuPct: number;
  otherCpuPct: number | null;
  /** Logins whose TLS handshake resumed an earlier session (0 without TLS or --tls-resume). */
  tlsResumed: number;
}

export interface IdleResult {
  connections: number;
  failed: number;
  firstErrors: string[];
  connectSeconds: number;
  connectRate: number;
  serverRssBeforeKiB: number | null;
  serverRssConnectedKiB: number | null;
  serverRssAfterKiB: number | null;
  serverPeakRssKiB: number | null;
  kibPerConnection: number | null;
  clientRssKiB: number;
  /** Server CPU while connecting, % of one core. */
  serverCpuConnectPct: number | null;
  /** Load generator CPU while connecting, % of one core. */
  clientCpuConnectPct: number;
  /** Other processes' CPU while connecting, % of one core. */
  otherCpuConnectPct: number | null;
  closeSeconds: number;
  droppedWhileIdle: number;
  /** Server CPU per established connection in the last round, ms. */
  serverCpuMsPerLogin: number | null;
  /** Every round (the top-level connect figures are the last one's). */
  rounds: LoginRound[];
}

/** Opens `count` clients, users firstUser..firstUser+count-1, with bounded concurrency. */
export async function openClients(
  opts: TargetOptions,
  count: number,
  firstUser: number,
  extra: Partial<Parameters<typeof LoadClient.connect>[0]> = {},
  onProgress?: (done: number, failed: number) => void,
): Promise<{ clients: (LoadClient | undefined)[]; errors: { index: number; error: unknown }[] }> {
  const clients: (LoadClient | undefined)[] = new Array<LoadClient | undefined>(count);
  let done = 0;
  let failed = 0;
  const step = Math.max(1, Math.floor(count / 10));
  const { ok: _ok, errors } = await runPool(
    count,
    opts.concurrency,
    async (i) => {
      const n = firstUser + i;
      const local =
        opts.localAddresses.length > 0
          ? opts.localAddresses[i % opts.localAddresses.length]
          : undefined;
      try {
        return await LoadClient.connect({
          host: opts.host,
          port: opts.ports.length > 0 ? opts.ports[i % opts.ports.length]! : opts.port,
          ...(local !== undefined ? { localAddress: local } : {}),
          jid: fromPattern(opts.userPattern, n),
          password: fromPattern(opts.passwordPattern, n),
          resource: 'load',
          mechanism: opts.mechanism,
          starttls: opts.starttls,
          timeoutMs: 60_000,
          ...extra,
        });
      } catch (err) {
        failed++;
        throw err;
      } finally {
        done++;
        if (done % step === 0 || done === count) onProgress?.(done, failed);
      }
    },
    (i, c) => {
      clients[i] = c;
    },
  );
  return { clients, errors };
}

export async function closeClients(clients: (LoadClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.close(3000)));
}

export async function runIdle(opts: IdleOptions): Promise<IdleResult> {
  const pids = opts.serverProcesses.map((p) => p.pid);
  const hasPid = pids.length > 0;
  const rss = (): number | undefined => sumOver(pids, readRssKiB);
  const before = rss();
  const roundCount = Math.max(1, Math.floor(opts.rounds ?? 1));
  // SaltedPassword per (hash, password, salt, iterations): the generator's PBKDF2 once per user.
  const scramCache = opts.scramCache ?? new Map<string, Buffer>();
  // Each user's last TLS session ticket, offered on its next login.
  const tlsSessions = opts.tlsResume === true ? new Map<string, Buffer>() : undefined;
  let dropped = 0;
  const rounds: LoginRound[] = [];
  let clients: (LoadClient | undefined)[] = [];
  let errors: { index: number; error: unknown }[] = [];
  let ok = 0;
  const warmup = Math.max(0, Math.floor(opts.warmup ?? 0));
  if (warmup > 0) {
    opts.log(`idle: warm-up: ${warmup} other users log in and out (not measured)`);
    const warm = await openClients(opts, warmup, opts.firstUser + opts.connections, {
      scramCache,
    });
    if (warm.errors.length > 0)
      opts.log(`idle: warm-up: ${warm.errors.length} failed: ${errorText(warm.errors[0]!.error)}`);
    await closeClients(warm.clients);
    await sleep(1000);
  }
  for (let n = 1; n <= roundCount; n++) {
    const last = n === roundCount;
    opts.log(
      `idle: ${roundCount > 1 ? `round ${n}/${roundCount}: ` : ''}opening ${opts.connections} connections (${opts.concurrency} negotiating at a time, SASL ${opts.mechanism})`,
    );
    const serverCpu = cpuMeter(pids);
    const clientCpu = selfCpuMeter();
    const machineCpu = machineCpuMeter();
    const t0 = performance.now();
    ({ clients, errors } = await openClients(
      opts,
      opts.connections,
      opts.firstUser,
      { onClose: () => dropped++, scramCache, ...(tlsSessions ? { tlsSessions } : {}) },
      (done, failed) => {
        const s = (performance.now() - t0) / 1000;
        opts.log(
          `  ${String(done).padStart(6)} / ${opts.connections} done, ${failed} failed, ${fmt(s)} s, ${fmtInt(done / s)}/s` +
            (hasPid ? `, server RSS ${fmtInt((rss() ?? 0) / 1024)} MiB` : ''),
        );
      },
    ));
    const seconds = (performance.now() - t0) / 1000;
    const serverPct = serverCpu();
    const clientPct = clientCpu();
    const machinePct = machineCpu();
    ok = clients.filter((c) => c !== undefined).length;
    rounds.push({
      round: n,
      connections: ok,
      failed: errors.length,
      seconds: round3(seconds),
      rate: round(ok / seconds, 1)!,
      serverCpuPct: round(serverPct, 1),
      serverCpuMsPerLogin:
        serverPct === undefined || ok === 0
          ? null
          : round(((serverPct / 100) * seconds * 1000) / ok, 3),
      clientCpuPct: round(clientPct, 1)!,
      otherCpuPct:
        machinePct === undefined
          ? null
          : round(Math.max(0, machinePct - clientPct - (serverPct ?? 0)), 1),
      tlsResumed: clients.filter((c) => c?.tlsResumed === true).length,
    });
    if (!last) {
      await closeClients(clients);
      await sleep(1000);
    }
  }
  const lastRound = rounds[rounds.length - 1]!;
  const connected = rss();
  opts.log(`idle: ${ok} connected in ${fmt(lastRound.seconds)} s; settling ${opts.settleS} s`);
  await sleep(opts.settleS * 1000);
  const after = rss();
  const peak = sumOver(pids, readPeakRssKiB);
  const clientRss = Math.round(process.memoryUsage().rss / 1024);
  const stillOpen = clients.filter((c) => c?.ready).length;
  const t1 = performance.now();
  await closeClients(clients);
  const closeSeconds = (performance.now() - t1) / 1000;
  const perConn =
    before !== undefined && after !== undefined && ok > 0 ? (after - before) / ok : undefined;
  if (stillOpen < ok)
    opts.log(`idle: warning: ${ok - stillOpen} connections were closed by the server while idle`);
  return {
    connections: ok,
    failed: errors.length,
    firstErrors: [...new Set(errors.slice(0, 50).map((e) => errorText(e.error)))].slice(0, 5),
    connectSeconds: lastRound.seconds,
    connectRate: lastRound.rate,
    serverRssBeforeKiB: before ?? null,
    serverRssConnectedKiB: connected ?? null,
    serverRssAfterKiB: after ?? null,
    serverPeakRssKiB: peak ?? null,
    kibPerConnection: round(perConn, 2),
    clientRssKiB: clientRss,
    serverCpuConnectPct: lastRound.serverCpuPct,
    clientCpuConnectPct: lastRound.clientCpuPct,
    otherCpuConnectPct: lastRound.otherCpuPct,
    closeSeconds: round(closeSeconds)!,
    droppedWhileIdle: dropped,
    serverCpuMsPerLogin: lastRound.serverCpuMsPerLogin,
    rounds,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function formatIdle(r: IdleResult): string {
  const pct = (p: number | null) => (p === null ? 'n/a' : `${fmt(p, 0)}%`);
  const mib = (k: number | null) => (k === null ? 'n/a' : `${fmt(k / 1024)} MiB`);
  const rows: [string, string][] = [
    [
      'connections established',
      `${fmtInt(r.connections)}${r.failed ? ` (${r.failed} failed)` : ''}`,
    ],
    ['connect time', `${fmt(r.connectSeconds, 2)} s`],
    [
      'connect rate',
      `${fmtInt(r.connectRate)} connections/s (TCP + stream + SASL + bind + presence)`,
    ],
    [
      'server CPU per login',
      r.serverCpuMsPerLogin === null ? 'n/a' : `${fmt(r.serverCpuMsPerLogin, 3)} ms`,
    ],
    [
      'CPU while connecting',
      `server ${pct(r.serverCpuConnectPct)}, load client ${pct(r.clientCpuConnectPct)}, other processes ${pct(r.otherCpuConnectPct)} (% of one core)`,
    ],
    ['server RSS before', mib(r.serverRssBeforeKiB)],
    ['server RSS when all connected', mib(r.serverRssConnectedKiB)],
    ['server RSS after settling', mib(r.serverRssAfterKiB)],
    ['server peak RSS (VmHWM)', mib(r.serverPeakRssKiB)],
    [
      'server memory per connection',
      r.kibPerConnection === null ? 'n/a' : `${fmt(r.kibPerConnection, 1)} KiB`,
    ],
    ['load client RSS', mib(r.clientRssKiB)],
    ['dropped while idle', String(r.droppedWhileIdle)],
    ['close time', `${fmt(r.closeSeconds, 2)} s`],
  ];
  let out = 'Idle connections\n' + formatPairs(rows);
  if (r.rounds.length > 1) {
    out +=
      '\n  login rounds (connect figures above: the last round):\n' +
      r.rounds
        .map(
          (x) =>
            `    round ${x.round}: ${fmtInt(x.connections)} in ${fmt(x.seconds, 2)} s = ${fmtInt(x.rate)}/s` +
            `${x.failed ? ` (${x.failed} failed)` : ''}, server CPU ${pct(x.serverCpuPct)}` +
            ` = ${x.serverCpuMsPerLogin === null ? 'n/a' : fmt(x.serverCpuMsPerLogin, 3)} ms per login,` +
            ` load client ${pct(x.clientCpuPct)}, other ${pct(x.otherCpuPct)}` +
            (x.tlsResumed > 0 ? `, ${fmtInt(x.tlsResumed)} TLS sessions resumed` : ''),
        )
        .join('\n');
  }
  if (r.firstErrors.length > 0)
    out += '\n  first errors:\n' + r.firstErrors.map((e) => `    ${e}`).join('\n');
  return out;
}
