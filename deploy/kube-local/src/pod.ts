/**
 * A pod run with Docker on the host network, as the kubelet would run it:
 * volumes prepared (Secret and ConfigMap files, emptyDir, claims as host
 * directories), init containers to completion, then every container with
 * its command, args, environment, user and read-only root, restarted when it
 * exits (restartPolicy Always) or fails its liveness probe, and its
 * readiness tracked by its probes.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { dockerQuiet, dockerRunAttached } from './docker.js';
import { KubeLocalError } from './errors.js';
import { expand, parseQuantity, resolveEnv, resolvePort } from './plan.js';
import type { EnvSources, PodPlan } from './plan.js';
import { probeDefaults, probeOnce, probesOf } from './probes.js';
import type { Container, Volume } from './types.js';

export interface PodContext {
  image: string;
  /** Config.User of the image. */
  imageUser: string;
  sources: EnvSources;
  /** `--add-host name:ip` entries. */
  hosts: Array<[string, string]>;
  /** Per-pod state (volumes) goes under <stateDir>/pods/<pod>. */
  stateDir: string;
  logDir: string;
  /** First restart delay (kubelet: 10 s, doubling up to 5 min). */
  restartBackoffMs: number;
  /** Retries of a failing init container before the pod is Failed (the kubelet: forever). */
  initRetries: number;
  log(line: string): void;
}

/** Container fields the runner honours or knowingly ignores (scheduling, pull policy). */
const CONTAINER_KEYS = new Set([
  'name', 'image', 'command', 'args', 'env', 'envFrom', 'ports', 'readinessProbe',
  'livenessProbe', 'startupProbe', 'resources', 'volumeMounts', 'securityContext',
  'workingDir', 'imagePullPolicy', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy',
]); // prettier-ignore
const POD_KEYS = new Set([
  'containers', 'initContainers', 'volumes', 'securityContext', 'terminationGracePeriodSeconds',
  'restartPolicy', 'serviceAccountName', 'automountServiceAccountToken', 'affinity',
  'topologySpreadConstraints', 'nodeSelector', 'tolerations', 'priorityClassName',
  'enableServiceLinks', 'dnsPolicy', 'imagePullSecrets', 'hostname', 'subdomain',
]); // prettier-ignore
const SECURITY_KEYS = new Set([
  'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation',
  'capabilities', 'seccompProfile', 'privileged', 'fsGroup', 'supplementalGroups',
  'fsGroupChangePolicy',
]); // prettier-ignore

function checkKeys(where: string, obj: object | undefined, known: Set<string>): void {
  for (const key of Object.keys(obj ?? {})) {
    if (!known.has(key)) {
      throw new KubeLocalError(
        'unsupported',
        `${where}: field ${key} is not handled by kube-local`,
      );
    }
  }
}

export type ContainerState = 'waiting' | 'running' | 'terminated';

export interface ContainerStatus {
  name: string;
  dockerName: string;
  state: ContainerState;
  ready: boolean;
  started: boolean;
  restarts: number;
  lastExitCode?: number;
}

interface Running {
  container: Container;
  status: ContainerStatus;
  proc?: ChildProcess;
  env: Record<string, string>;
  args: string[];
  log: WriteStream;
  tail: string[];
  timers: Set<NodeJS.Timeout>;
  exited?: Promise<number>;
}

export class Pod {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private volumesDir: string;
  private mountArgs = new Map<string, string[]>();
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';

  constructor(
    readonly plan: PodPlan,
    private readonly ctx: PodContext,
  ) {
    this.volumesDir = join(ctx.stateDir, 'pods', plan.name);
    checkKeys(`pod ${plan.name}`, plan.spec, POD_KEYS);
    checkKeys(`pod ${plan.name} securityContext`, plan.spec.securityContext, SECURITY_KEYS);
    for (const c of [...(plan.spec.initContainers ?? []), ...plan.spec.containers]) {
      checkKeys(`pod ${plan.name} container ${c.name}`, c, CONTAINER_KEYS);
      checkKeys(
        `pod ${plan.name} container ${c.name} securityContext`,
        c.securityContext,
        SECURITY_KEYS,
      );
    }
  }

  get name(): string {
    return this.plan.name;
  }

  get ip(): string {
    return this.plan.ip;
  }

  /** Ready when every container is ready (Pod condition Ready). */
  get ready(): boolean {
    return (
      this.phase === 'Running' &&
      this.plan.spec.containers.every((c) => this.running.get(c.name)?.status.ready === true)
    );
  }

  statuses(): ContainerStatus[] {
    return [...this.running.values()].map((r) => ({ ...r.status }));
  }

  /** The Docker name of a container (`<pod>` for the first one, `<pod>--<name>` for others). */
  dockerName(container: string, init = false): string {
    if (init) return `${this.plan.name}--init-${container}`;
    return this.plan.spec.containers[0]?.name === container
      ? this.plan.name
      : `${this.plan.name}--${container}`;
  }

  /** Every Docker name this pod may have used (for cleanup). */
  dockerNames(): string[] {
    return [
      ...(this.plan.spec.initContainers ?? []).map((c) => this.dockerName(c.name, true)),
      ...this.plan.spec.containers.map((c) => this.dockerName(c.name)),
    ];
  }

  logTail(container: string): string {
    return (this.running.get(container)?.tail ?? []).join('');
  }

  /** Prepares the volumes, runs the init containers, starts the containers and their probes. */
  async start(): Promise<void> {
    await this.prepareVolumes();
    for (const c of this.plan.spec.initContainers ?? []) {
      if ((c as { restartPolicy?: string }).restartPolicy === 'Always') {
        throw new KubeLocalError(
          'unsupported',
          `pod ${this.name}: sidecar init container ${c.name}`,
        );
      }
      await this.runToCompletion(c, true, this.ctx.initRetries);
    }
    if (this.stopping) return;
    this.phase = 'Running';
    for (const c of this.plan.spec.containers) this.launch(c);
  }

  /** Runs a Job pod's container(s) until success, retrying up to backoffLimit. */
  async runJob(backoffLimit: number): Promise<void> {
    await this.prepareVolumes();
    for (const c of this.plan.spec.initContainers ?? [])
      await this.runToCompletion(c, true, backoffLimit);
    this.phase = 'Running';
    for (const c of this.plan.spec.containers) await this.runToCompletion(c, false, backoffLimit);
    this.phase = 'Succeeded';
  }

  private async runToCompletion(c: Container, init: boolean, retries: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = this.prepare(c, init);
      const code = await this.spawn(r);
      if (code === 0) return;
      if (this.stopping) return;
      if (attempt >= retries) {
        this.phase = 'Failed';
        throw new KubeLocalError(
          'not-ready',
          `pod ${this.name} container ${c.name} exited with ${code} (${attempt + 1} attempts):\n${r.tail.join('')}`,
        );
      }
      r.status.restarts++;
      await this.sleep(Math.min(this.ctx.restartBackoffMs * 2 ** attempt, 60_000));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  /** Security context of a container merged over the pod's, and the user checks of the kubelet. */
  private userArgs(c: Container): string[] {
    const pod = this.plan.spec.securityContext ?? {};
    const own = c.securityContext ?? {};
    const where = `pod ${this.name} container ${c.name}`;
    const runAsUser = own.runAsUser ?? pod.runAsUser;
    const runAsGroup = own.runAsGroup ?? pod.runAsGroup;
    const runAsNonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
    if (own.privileged) throw new KubeLocalError('unsupported', `${where}: privileged`);
    let uid: number | undefined = runAsUser;
    if (uid === undefined) {
      const user = this.ctx.imageUser.split(':')[0] ?? '';
      if (/^\d+$/.test(user)) uid = Number(user);
      else if (user === '' || user === 'root') uid = 0;
      else if (runAsNonRoot) {
        // The kubelet's own check (verifyRunAsNonRoot): it cannot tell.
        throw new KubeLocalError(
          'runs-as-root',
          `${where}: container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root`,
        );
      }
    }
    if (uid === 0) {
      throw new KubeLocalError(
        'runs-as-root',
        `${where}: would run as root (runAsUser ${runAsUser ?? 'unset'}, image user '${this.ctx.imageUser}')`,
      );
    }
    const args: string[] = [];
    if (runAsUser !== undefined || runAsGroup !== undefined) {
      const u = runAsUser ?? (this.ctx.imageUser.split(':')[0] || '0');
      args.push('--user', runAsGroup === undefined ? String(u) : `${u}:${runAsGroup}`);
    }
    for (const g of [
      ...(pod.fsGroup !== undefined ? [pod.fsGroup] : []),
      ...(pod.supplementalGroups ?? []),
    ]) {
      args.push('--group-add', String(g));
    }
    if (own.readOnlyRootFilesystem) args.push('--read-only');
    if (own.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
    for (const cap of own.capabilities?.drop ?? []) args.push('--cap-drop', cap);
    for (const cap of own.capabilities?.add ?? []) args.push('--cap-add', cap);
    return args;
  }

  /** resources.limits: memory (the container is OOM-killed above it, as on a node) and cpu. */
  private limitArgs(c: Container): string[] {
    const limits = (c.resources?.limits ?? {}) as Record<string, string | number>;
    const args: string[] = [];
    if (limits['memory'] !== undefined) {
      const bytes = Math.floor(parseQuantity(limits['memory']));
      args.push('--memory', String(bytes), '--memory-swap', String(bytes));
    }
    if (limits['cpu'] !== undefined) args.push('--cpus', String(parseQuantity(limits['cpu'])));
    return args;
  }

  private async writeFiles(
    dir: string,
    entries: Map<string, string>,
    items: Array<{ key: string; path: string; mode?: number }> | undefined,
    defaultMode: number,
    where: string,
    optional: boolean,
  ): Promise<void> {
    const fsGroup = this.plan.spec.securityContext?.fsGroup;
    const list = items ?? [...entries.keys()].map((key) => ({ key, path: key }));
    for (const item of list) {
      const value = entries.get(item.key);
      if (value === undefined) {
        if (optional) continue;
        throw new KubeLocalError('missing-reference', `${where}: no key ${item.key}`);
      }
      const path = normalize(join(dir, item.path));
      if (!path.startsWith(`${dir}/`))
        throw new KubeLocalError('invalid-object', `${where}: path ${item.path}`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, value);
      // As the kubelet: root-owned, the (default)mode, group-readable by fsGroup.
      let mode = (item as { mode?: number }).mode ?? defaultMode;
      if (fsGroup !== undefined) {
        await chown(path, 0, fsGroup);
        mode |= 0o040;
      }
      await chmod(path, mode);
    }
  }

  private async prepareVolumes(): Promise<void> {
    const fsGroup = this.plan.spec.securityContext?.fsGroup;
    for (const v of this.plan.spec.volumes ?? []) {
      const dir = join(this.volumesDir, 'volumes', v.name);
      await mkdir(dir, { recursive: true });
      this.mountArgs.set(v.name, await this.prepareVolume(v, dir, fsGroup));
    }
    await this.volumeClaimTemplateMounts();
  }

  /** Returns [hostPath, forcedReadOnly ('ro' or '')] or ['tmpfs'] for a memory emptyDir. */
  private async prepareVolume(
    v: Volume,
    dir: string,
    fsGroup: number | undefined,
  ): Promise<string[]> {
    const where = `pod ${this.name} volume ${v.name}`;
    const { secrets, configMaps } = this.ctx.sources;
    if (v.secret || v.configMap) {
      const isSecret = v.secret !== undefined;
      const src = (v.secret ?? v.configMap)!;
      const name = (v.secret ? v.secret.secretName : v.configMap!.name) ?? '';
      const entries = (isSecret ? secrets : configMaps).get(name);
      if (entries === undefined) {
        if (!src.optional)
          throw new KubeLocalError(
            'missing-reference',
            `${where}: ${isSecret ? 'Secret' : 'ConfigMap'} ${name} does not exist`,
          );
      } else {
        await this.writeFiles(
          dir,
          entries,
          src.items,
          src.defaultMode ?? 0o644,
          `${where} (${name})`,
          src.optional === true,
        );
      }
      await chmod(dir, 0o755);
      return [dir, 'ro'];
    }
    if (v.projected) {
      for (const s of v.projected.sources ?? []) {
        const ref = s.secret ?? s.configMap;
        if (ref === undefined)
          throw new KubeLocalError('unsupported', `${where}: projected source`);
        const entries = (s.secret ? secrets : configMaps).get(ref.name ?? '');
        if (entries === undefined) {
          if (ref.optional) continue;
          throw new KubeLocalError('missing-reference', `${where}: ${ref.name} does not exist`);
        }
        await this.writeFiles(
          dir,
          entries,
          ref.items,
          v.projected.defaultMode ?? 0o644,
          where,
          ref.optional === true,
        );
      }
      await chmod(dir, 0o755);
      return [dir, 'ro'];
    }
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory') return ['tmpfs'];
      await chmod(dir, 0o777); // the kubelet makes emptyDir world-writable
      return [dir, ''];
    }
    if (v.persistentVolumeClaim) {
      const claim = join(this.ctx.stateDir, 'claims', v.persistentVolumeClaim.claimName);
      await mkdir(claim, { recursive: true });
      await this.claimOwnership(claim, fsGroup);
      return [claim, v.persistentVolumeClaim.readOnly ? 'ro' : ''];
    }
    throw new KubeLocalError(
      'unsupported',
      `${where}: volume type ${Object.keys(v)
        .filter((k) => k !== 'name')
        .join(',')}`,
    );
  }

  /** A claim's directory: group-writable by fsGroup, else world-writable (local-path provisioner). */
  private async claimOwnership(dir: string, fsGroup: number | undefined): Promise<void> {
    if (fsGroup !== undefined) {
      await chown(dir, 0, fsGroup);
      await chmod(dir, 0o2775);
    } else {
      await chmod(dir, 0o777);
    }
  }

  private async volumeClaimTemplateMounts(): Promise<void> {
    for (const t of this.plan.claimTemplates) {
      const claim = join(this.ctx.stateDir, 'claims', `${t}-${this.name}`);
      await mkdir(claim, { recursive: true });
      await this.claimOwnership(claim, this.plan.spec.securityContext?.fsGroup);
      this.mountArgs.set(t, [claim, '']);
    }
  }

  private mounts(c: Container): string[] {
    const args: string[] = [];
    for (const m of c.volumeMounts ?? []) {
      const vol = this.mountArgs.get(m.name);
      if (vol === undefined) {
        throw new KubeLocalError(
          'missing-reference',
          `pod ${this.name} container ${c.name}: no volume ${m.name}`,
        );
      }
      if (vol[0] === 'tmpfs') {
        args.push('--tmpfs', `${m.mountPath}:mode=1777`);
        continue;
      }
      const host = m.subPath ? join(vol[0]!, m.subPath) : vol[0]!;
      const ro = m.readOnly === true || vol[1] === 'ro';
      args.push('-v', `${host}:${m.mountPath}${ro ? ':ro' : ''}`);
    }
    return args;
  }

  private prepare(c: Container, init: boolean): Running {
    const dockerName = this.dockerName(c.name, init);
    const env = resolveEnv(this.plan, c, this.ctx.sources);
    const command = (c.command ?? []).map((s) => expand(s, env));
    const cargs = (c.args ?? []).map((s) => expand(s, env));
    const grace = this.plan.spec.terminationGracePeriodSeconds ?? 30;
    const args = [
      'run', '--rm', '--name', dockerName, '--network', 'host',
      '--label', 'kube-local.pod=' + this.name,
      '--stop-timeout', String(grace),
      ...this.ctx.hosts.flatMap(([h, ip]) => ['--add-host', `${h}:${ip}`]),
      ...this.userArgs(c),
      ...this.limitArgs(c),
      ...(c.workingDir ? ['-w', c.workingDir] : []),
      ...this.mounts(c),
      ...Object.keys(env).flatMap((k) => ['-e', k]),
      ...(command.length > 0 ? ['--entrypoint', command[0]!] : []),
      this.ctx.image,
      ...command.slice(1),
      ...cargs,
    ]; // prettier-ignore
    const existing = this.running.get(c.name);
    const r: Running = existing ?? {
      container: c,
      status: {
        name: c.name,
        dockerName,
        state: 'waiting',
        ready: false,
        started: false,
        restarts: 0,
      },
      env,
      args,
      log: createWriteStream(join(this.ctx.logDir, `${this.name}_${c.name}.log`), { flags: 'a' }),
      tail: [],
      timers: new Set(),
    };
    r.env = env;
    r.args = args;
    this.running.set(c.name, r);
    return r;
  }

  private spawn(r: Running): Promise<number> {
    const proc = dockerRunAttached(r.args, r.env);
    r.proc = proc;
    r.status.state = 'running';
    const onData = (chunk: Buffer): void => {
      r.log.write(chunk);
      r.tail.push(chunk.toString('utf8'));
      if (r.tail.length > 200) r.tail.splice(0, r.tail.length - 200);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    r.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        r.status.state = 'terminated';
        r.status.ready = false;
        r.status.started = false;
        r.status.lastExitCode = code ?? (signal ? 128 : 1);
        resolve(r.status.lastExitCode);
      });
    });
    return r.exited;
  }

  /** Starts a long-running container, its probes, and restarts it when it exits. */
  private launch(c: Container): void {
    if (this.stopping) return;
    let r: Running;
    try {
      r = this.prepare(c, false);
    } catch (err) {
      this.phase = 'Failed';
      this.ctx.log(`pod ${this.name}: ${(err as Error).message}`);
      throw err;
    }
    void this.spawn(r).then((code) => {
      for (const t of r.timers) clearTimeout(t);
      r.timers.clear();
      if (this.stopping) return;
      const delay = Math.min(
        this.ctx.restartBackoffMs * 2 ** Math.min(r.status.restarts, 5),
        300_000,
      );
      r.status.restarts++;
      this.ctx.log(
        `pod ${this.name} container ${c.name} exited (${code}); restart ${r.status.restarts} in ${delay / 1000}s`,
      );
      const t = setTimeout(() => this.launch(c), delay);
      t.unref();
    });
    this.startProbes(r);
  }

  private startProbes(r: Running): void {
    const c = r.container;
    const target = {
      podIp: this.ip,
      containerName: c.name,
      dockerName: r.status.dockerName,
      resolvePort: (p: number | string) => resolvePort(this.plan, p, c),
    };
    const probes = new Map(probesOf(c));
    const schedule = (fn: () => void, ms: number): void => {
      const t = setTimeout(() => {
        r.timers.delete(t);
        if (r.status.state === 'running' && !this.stopping) fn();
      }, ms);
      r.timers.add(t);
    };
    const loop = (
      kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe',
      onResult: (ok: boolean, counts: { ok: number; fail: number }) => boolean,
    ): void => {
      const probe = probes.get(kind)!;
      const d = probeDefaults(probe);
      const counts = { ok: 0, fail: 0 };
      const tick = (): void => {
        void probeOnce(probe, target)
          .catch((err: unknown) => {
            this.ctx.log(`pod ${this.name} ${kind}: ${(err as Error).message}`);
            return false;
          })
          .then((ok) => {
            if (ok) {
              counts.ok++;
              counts.fail = 0;
            } else {
              counts.fail++;
              counts.ok = 0;
            }
            if (onResult(ok, counts)) schedule(tick, d.periodMs);
          });
      };
      schedule(tick, d.initialDelayMs);
    };
    const afterStartup = (): void => {
      r.status.started = true;
      if (probes.has('readinessProbe')) {
        const d = probeDefaults(probes.get('readinessProbe')!);
        loop('readinessProbe', (_ok, counts) => {
          if (counts.ok >= d.successThreshold) r.status.ready = true;
          if (counts.fail >= d.failureThreshold) r.status.ready = false;
          return true;
        });
      } else {
        r.status.ready = true;
      }
      if (probes.has('livenessProbe')) {
        const d = probeDefaults(probes.get('livenessProbe')!);
        loop('livenessProbe', (_ok, counts) => {
          if (counts.fail < d.failureThreshold) return true;
          this.ctx.log(`pod ${this.name} container ${c.name}: liveness probe failed, killing it`);
          void dockerQuiet([
            'stop',
            '-t',
            String(this.plan.spec.terminationGracePeriodSeconds ?? 30),
            r.status.dockerName,
          ]);
          return false;
        });
      }
    };
    if (probes.has('startupProbe')) {
      const d = probeDefaults(probes.get('startupProbe')!);
      loop('startupProbe', (ok, counts) => {
        if (ok) {
          afterStartup();
          return false;
        }
        if (counts.fail >= d.failureThreshold) {
          this.ctx.log(`pod ${this.name} container ${c.name}: startup probe failed, killing it`);
          void dockerQuiet(['kill', r.status.dockerName]);
          return false;
        }
        return true;
      });
    } else {
      afterStartup();
    }
  }

  /** `docker kill` of one container (a crash); the restart policy brings it back. */
  async kill(container?: string): Promise<void> {
    const name = container ?? this.plan.spec.containers[0]!.name;
    await dockerQuiet(['kill', this.dockerName(name)]);
  }

  /** The preStop hook (exec, httpGet or sleep), within the grace period like the kubelet. */
  private async preStop(r: Running): Promise<void> {
    const hook = r.container.lifecycle?.preStop;
    if (hook === undefined) return;
    const grace = (this.plan.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const action = async (): Promise<void> => {
      if (hook.exec) {
        await dockerQuiet(['exec', r.status.dockerName, ...(hook.exec.command ?? [])]);
      } else if (hook.httpGet) {
        await probeOnce(
          { httpGet: hook.httpGet, timeoutSeconds: grace / 1000 },
          {
            podIp: this.ip,
            containerName: r.container.name,
            dockerName: r.status.dockerName,
            resolvePort: (p) => resolvePort(this.plan, p, r.container),
          },
        );
      } else if (hook.sleep) {
        await this.sleep(hook.sleep.seconds * 1000);
      } else {
        throw new KubeLocalError(
          'unsupported',
          `pod ${this.name} container ${r.container.name}: preStop`,
        );
      }
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      action(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, grace))),
    ]);
    clearTimeout(timer);
  }

  /** Stops every container with the pod's grace period (SIGTERM, then SIGKILL), as a pod deletion. */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.plan.spec.terminationGracePeriodSeconds ?? 30;
    await Promise.all(
      [...this.running.values()].map(async (r) => {
        for (const t of r.timers) clearTimeout(t);
        if (r.status.state === 'running') {
          const started = Date.now();
          await this.preStop(r);
          const left = Math.max(0, grace - Math.floor((Date.now() - started) / 1000));
          await dockerQuiet(['stop', '-t', String(left), r.status.dockerName]);
          await r.exited;
        }
        r.log.end();
      }),
    );
    await Promise.all(this.dockerNames().map((n) => dockerQuiet(['rm', '-f', n])));
  }
}
