/**
 * Starting and stopping the side-by-side targets: Debian's ejabberd and
 * Prosody (src/peers.ts), Parley's single node (src/spawn.ts) and local
 * cluster (src/cluster.ts), each with the same users `load1..loadN` /
 * `pw1..pwN` on the domain `localhost`, PLAIN allowed without TLS and
 * STARTTLS offered on loopback.
 *
 * Pinning: this process (the load generator) runs on the generator CPUs. It
 * moves itself to the target's CPUs while it starts a target, so that
 * everything the target starts inherits them (Erlang sizes its schedulers,
 * Go its GOMAXPROCS from the affinity at start), pins the target's
 * processes explicitly, and moves back.
 *
 * Every target is registered with a `Cleanup` as soon as it runs: its stop
 * (by PID) runs at the end, on failure and on Ctrl-C, and the PIDs still
 * registered when this process exits get SIGKILL.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerProcessRef } from '../bench-idle.js';
import { spawnCluster } from '../cluster.js';
import { startPeer } from '../peers.js';
import { cpuCount, pinProcess } from '../pin.js';
import { repoRoot, spawnServer } from '../spawn.js';
import { errorText } from '../util.js';
import type { SideBySidePlan, TargetName } from './args.js';

const run = promisify(execFile);

export const USER_PATTERN = 'load%d@localhost';
export const PASSWORD_PATTERN = 'pw%d';

/** The same certificate for ejabberd and Prosody: ECDSA P-256, like the one Parley generates. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export async function makeCertificate(dir: string): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, 'localhost.crt');
  const keyFile = join(dir, 'localhost.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,DNS:conference.localhost',
    '-days',
    '7',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile };
}

interface Registered {
  name: string;
  pids: number[];
  /** The target's stop, run once however often it is asked for. */
  stop: () => Promise<void>;
}

/** What this run started and has not stopped yet. */
export class Cleanup {
  private readonly running = new Set<Registered>();
  private exitHookInstalled = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers a started target; the returned function stops it (once) and unregisters it. */
  add(name: string, pids: number[], stop: () => Promise<void>): () => Promise<void> {
    if (!this.exitHookInstalled) {
      this.exitHookInstalled = true;
      process.once('exit', () => this.killLeft());
    }
    let stopping: Promise<void> | undefined;
    const entry: Registered = {
      name,
      pids,
      stop: () => {
        stopping ??= (async () => {
          this.log(`stopping ${name} (pid ${pids.join(', ')})`);
          try {
            await stop();
          } catch (err) {
            this.log(`stopping ${name}: ${errorText(err)}`);
          } finally {
            this.running.delete(entry);
          }
        })();
        return stopping;
      },
    };
    this.running.add(entry);
    return entry.stop;
  }

  get size(): number {
    return this.running.size;
  }

  /** Stops everything still registered, each within `timeoutMs` (then SIGKILL by PID). */
  async stopAll(timeoutMs = 30_000): Promise<void> {
    await Promise.all(
      [...this.running].map(async (entry) => {
        let timer: NodeJS.Timeout | undefined;
        const stopped = await Promise.race([
          entry.stop().then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        this.running.delete(entry);
        if (!stopped) {
          this.log(`${entry.name} did not stop within ${timeoutMs / 1000} s: SIGKILL`);
          killPids(entry.pids);
        }
      }),
    );
  }

  /** Synchronous last resort (process exit): SIGKILL to every PID still registered. */
  killLeft(): void {
    for (const entry of this.running) killPids(entry.pids);
    this.running.clear();
  }
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** Pins this process (every thread) to `cpus`. */
export async function pinSelf(cpus: string): Promise<void> {
  await pinProcess(process.pid, cpus);
}

export interface InstanceSpec {
  users: number;
  /** Archive every one-to-one message. */
  mam: boolean;
  /** A MUC service on conference.localhost. */
  muc: boolean;
}

export interface RunningTarget {
  /** c2s port (the first gateway's for the cluster). */
  port: number;
  /** Every gateway's c2s port (cluster); empty for one port. */
  ports: number[];
  /** Processes measured (RSS, CPU): the server, or every process of the cluster. */
  processes: ServerProcessRef[];
  stop: () => Promise<void>;
}

export type TargetPlan = Pick<
  SideBySidePlan,
  | 'serverCpus'
  | 'generatorCpus'
  | 'clusterCpus'
  | 'gateways'
  | 'registries'
  | 'ejabberdPasswords'
  | 'mucOccupants'
>;

/** The CPUs a target's processes run on. */
export function targetCpus(name: TargetName, plan: TargetPlan): string {
  return name === 'parley-cluster' ? plan.clusterCpus : plan.serverCpus;
}

export async function startTarget(
  name: TargetName,
  spec: InstanceSpec,
  plan: TargetPlan,
  tls: TlsFiles,
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<RunningTarget> {
  const cpus = targetCpus(name, plan);
  await pinSelf(cpus);
  try {
    return await startPinned(name, spec, plan, tls, cleanup, log, cpus);
  } finally {
    await pinSelf(plan.generatorCpus);
  }
}

async function startPinned(
  name: TargetName,
  spec: InstanceSpec,
  plan: TargetPlan,
  tls: TlsFiles,
  cleanup: Cleanup,
  log: (line: string) => void,
  cpus: string,
): Promise<RunningTarget> {
  const common = { userPattern: USER_PATTERN, passwordPattern: PASSWORD_PATTERN, log };
  const parleyEnv = { PARLEY_MAM_ENABLED: spec.mam ? 'true' : 'false' };
  if (name === 'ejabberd' || name === 'prosody') {
    const peer = await startPeer({
      kind: name,
      users: spec.users,
      ...common,
      erlangSchedulers: cpuCount(cpus),
      ejabberdPasswords: plan.ejabberdPasswords,
      tls,
      muc: spec.muc,
      mam: spec.mam,
    });
    const stop = cleanup.add(name, [peer.pid], peer.stop);
    try {
      await pinProcess(peer.pid, cpus);
    } catch (err) {
      await stop();
      throw err;
    }
    return { port: peer.port, ports: [], processes: [{ name, pid: peer.pid }], stop };
  }
  if (name === 'parley') {
    const server = await spawnServer({
      port: undefined,
      host: '127.0.0.1',
      users: spec.users,
      ...common,
      nodeArgs: [],
      cpus,
      env: parleyEnv,
    });
    const stop = cleanup.add('parley', [server.pid], server.stop);
    return { port: server.port, ports: [], processes: [{ name, pid: server.pid }], stop };
  }
  const cluster = await spawnCluster({
    gateways: plan.gateways,
    registries: plan.registries,
    users: spec.users,
    ...common,
    env: parleyEnv,
  });
  const stop = cleanup.add(
    'parley cluster',
    cluster.processes.map((p) => p.pid),
    cluster.stop,
  );
  try {
    for (const p of cluster.processes) await pinProcess(p.pid, cpus);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: cluster.ports[0]!, ports: cluster.ports, processes: cluster.processes, stop };
}

/** Debian package version, e.g. "23.01-1"; undefined when not installed. */
export async function debianVersion(pkg: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f', '${Version}', pkg]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The checkout's commit, e.g. "8e89b58" (with "+changes" when the tree is dirty). */
export async function parleyVersion(): Promise<string> {
  try {
    const cwd = repoRoot();
    const { stdout } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd });
    const { stdout: dirty } = await run('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
    });
    return `${stdout.trim()}${dirty.trim() !== '' ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}
