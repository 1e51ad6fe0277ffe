/**
 * Runs a rendered Kustomize directory on this machine with Docker: the
 * Secrets it references are generated, NATS/Redis/PostgreSQL started
 * (links.ts), every workload's pods started from the image (pod.ts) with
 * host networking and a loopback pod IP each, and every Service port served
 * by a round-robin relay over the ready pods, both on a cluster IP of its
 * own (127.0.20.N:<port>, the Service's DNS names map to it in the
 * containers) and on 127.0.0.1:<ephemeral or configured port> for clients
 * on the host.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '@parley/testkit';
import { docker, inspectImage } from './docker.js';
import { KubeLocalError } from './errors.js';
import { planLinks, startLinks } from './links.js';
import type { Links } from './links.js';
import { describeObject, renderKustomize, validateManifests } from './manifests.js';
import { matchesSelector, planPods, resolvePort, serviceLinkEnv } from './plan.js';
import type { EnvSources } from './plan.js';
import { Pod } from './pod.js';
import { RoundRobinRelay } from './relay.js';
import type { Endpoint } from './relay.js';
import { generateSecrets } from './secrets.js';
import type { GeneratedSecrets } from './secrets.js';
import type { ConfigMap, Container, KubeObject, Service } from './types.js';

export interface KubeLocalOptions {
  /** The Kustomize directory (overlay or base). */
  dir: string;
  /** Run this image instead of the one each container names (e.g. a test tag). */
  image?: string;
  /** Host ports for Service ports, keyed `<service>/<port name or number>`; others are ephemeral. */
  servicePorts?: Record<string, number>;
  /** Where container output goes (default: a directory under the state dir). */
  logDir?: string;
  /** First restart delay of a container that exited (default 10 s, as the kubelet). */
  restartBackoffMs?: number;
  /** Retries of a failing init container before giving up (default 3; the kubelet retries forever). */
  initRetries?: number;
  /** How long to wait for every pod to be ready (default 180 s). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ServicePort {
  name: string;
  port: number;
  /** 127.0.0.1:<local> for the host. */
  local: RoundRobinRelay;
  /** <cluster IP>:<port> for the pods. */
  cluster: RoundRobinRelay;
}

export interface RunningService {
  name: string;
  clusterIp: string;
  service: Service;
  ports: ServicePort[];
  /** Ready endpoints right now. */
  endpoints(port: ServicePort): Endpoint[];
}

export interface KubeLocal {
  objects: KubeObject[];
  namespace: string;
  secrets: GeneratedSecrets;
  links: Links;
  pods: Pod[];
  services: Map<string, RunningService>;
  stateDir: string;
  logDir: string;
  /** The pods of a workload (Deployment, StatefulSet or Job name). */
  podsOf(workload: string): Pod[];
  /** 127.0.0.1 port of a Service port (by name or number). */
  servicePort(service: string, port: string | number): number;
  /** Resolves when every pod of the Deployments and StatefulSets is ready. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every pod (grace periods honoured), relay and link; removes the state. Idempotent. */
  stop(): Promise<void>;
}

/** Kinds that need nothing running here (policy, autoscaling: replicas honour minReplicas). */
const PASSIVE_KINDS = new Set([
  'Namespace', 'ConfigMap', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy',
  'ServiceAccount', 'PersistentVolumeClaim',
]); // prettier-ignore
const RUN_KINDS = new Set(['Deployment', 'StatefulSet', 'Job', 'Service']);

/** Every ConfigMap value and literal env value of the containers: what the links are read from. */
function configView(objects: KubeObject[], containers: Container[]): Map<string, string> {
  const view = new Map<string, string>();
  for (const obj of objects) {
    if (obj.kind !== 'ConfigMap') continue;
    for (const [k, v] of Object.entries((obj as unknown as ConfigMap).data ?? {})) view.set(k, v);
  }
  for (const c of containers) {
    for (const e of c.env ?? []) if (e.value !== undefined) view.set(e.name, e.value);
  }
  return view;
}

/** Names of `nats-<user>-password` keys referenced anywhere (volumes items, env). */
function referencedNatsUsers(objects: KubeObject[]): string[] {
  const users = new Set<string>();
  const text = JSON.stringify(objects);
  for (const m of text.matchAll(/"nats-([a-z0-9-]+)-password"/g)) users.add(m[1]!);
  return [...users];
}

export async function startKubeLocal(opts: KubeLocalOptions): Promise<KubeLocal> {
  const log = opts.log ?? ((line: string) => console.log(`[kube-local] ${line}`));
  const objects = await renderKustomize(opts.dir);
  const problems = await validateManifests(objects);
  if (problems.length > 0) {
    throw new KubeLocalError(
      'invalid-object',
      `${opts.dir} does not validate:\n${problems.map((p) => `  ${p.object}: ${p.message}`).join('\n')}`,
    );
  }
  for (const obj of objects) {
    if (obj.kind === 'Secret') {
      throw new KubeLocalError(
        'invalid-object',
        `${describeObject(obj)}: the manifests ship a Secret`,
      );
    }
    if (!PASSIVE_KINDS.has(obj.kind) && !RUN_KINDS.has(obj.kind)) {
      throw new KubeLocalError('unsupported', `${describeObject(obj)}: kind not run by kube-local`);
    }
  }
  const namespaces = new Set(
    objects.map((o) => o.metadata?.namespace).filter((n) => n !== undefined),
  );
  if (namespaces.size > 1)
    throw new KubeLocalError('unsupported', `several namespaces: ${[...namespaces].join(', ')}`);
  const namespace = [...namespaces][0] ?? 'default';

  const plans = planPods(objects);
  const allContainers = plans.flatMap((p) => [
    ...(p.spec.initContainers ?? []),
    ...p.spec.containers,
  ]);
  const config = configView(objects, allContainers);
  const linksPlan = planLinks(config);
  const domains = (config.get('PARLEY_SERVER_DOMAINS') ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const linkHosts = [linksPlan.nats?.host, linksPlan.redis?.host, linksPlan.postgres?.host].filter(
    (h): h is string => h !== undefined,
  );

  const stateDir = await tempDir('parley-kube-local');
  const logDir = opts.logDir ?? join(stateDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const secrets = await generateSecrets({
    namespace,
    hosts: [
      ...linkHosts,
      'nats',
      'redis',
      'postgres',
      'postgresql',
      ...domains,
      'localhost',
      '127.0.0.1',
    ],
    extraNatsUsers: referencedNatsUsers(objects),
  });
  const secretProblems = await validateManifests(secrets.objects);
  if (secretProblems.length > 0)
    throw new KubeLocalError('invalid-object', JSON.stringify(secretProblems));

  const pods: Pod[] = [];
  const services = new Map<string, RunningService>();
  let links: Links | undefined;
  const dockerNames = (): string[] => pods.flatMap((p) => p.dockerNames());
  // Last resort if the process dies without stop(): remove the containers by name.
  const onExit = (): void => {
    const names = dockerNames();
    if (names.length > 0) spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
  };
  process.on('exit', onExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(pods.map((p) => p.stop()));
    for (const s of services.values()) {
      await Promise.allSettled(s.ports.flatMap((p) => [p.local.close(), p.cluster.close()]));
    }
    await links?.stop();
    await secrets.pki.remove();
    if (opts.logDir === undefined) log(`logs were in ${logDir} (removed)`);
    await removeTempDir(stateDir);
    process.off('exit', onExit);
  };

  try {
    links = await startLinks(linksPlan, secrets);
    if (links.hosts.length > 0) {
      log(
        `links: ${links.hosts.map(([h, ip]) => `${h} -> ${ip}`).join(', ')} (TLS, CA ${secrets.pki.caFile})`,
      );
    }

    const serviceObjs = objects.filter((o) => o.kind === 'Service') as unknown as Service[];
    const clusterIps = serviceObjs.map((service, i) => ({
      service,
      clusterIp: `127.0.20.${i + 1}`,
    }));
    const hosts: Array<[string, string]> = [...links.hosts];
    for (const { service, clusterIp } of clusterIps) {
      const n = service.metadata?.name ?? '';
      if (service.spec?.clusterIP === 'None') continue;
      for (const h of [
        n,
        `${n}.${namespace}`,
        `${n}.${namespace}.svc`,
        `${n}.${namespace}.svc.cluster.local`,
      ]) {
        hosts.push([h, clusterIp]);
      }
    }
    for (const p of plans) {
      if (p.hostname && p.subdomain) {
        const fq = `${p.hostname}.${p.subdomain}.${namespace}.svc.cluster.local`;
        hosts.push([`${p.hostname}.${p.subdomain}`, p.ip], [fq, p.ip]);
      }
    }

    const sources: EnvSources = {
      configMaps: new Map(
        objects
          .filter((o) => o.kind === 'ConfigMap')
          .map((o) => [
            o.metadata?.name ?? '',
            new Map(Object.entries((o as unknown as ConfigMap).data ?? {})),
          ]),
      ),
      secrets: secrets.data,
      serviceLinks: serviceLinkEnv(clusterIps),
    };
    const imageUsers = new Map<string, string>();
    for (const c of allContainers) {
      const image = opts.image ?? c.image ?? '';
      if (!imageUsers.has(image)) {
        try {
          imageUsers.set(image, (await inspectImage(image)).user);
        } catch (cause) {
          throw new KubeLocalError(
            'docker-failed',
            `image ${image} is not present: build it first (deploy/README.md)`,
            { cause },
          );
        }
      }
    }
    const images = [...imageUsers.keys()];
    if (images.length !== 1)
      throw new KubeLocalError('unsupported', `several images: ${images.join(', ')}`);
    const ctxBase = {
      image: images[0]!,
      imageUser: imageUsers.get(images[0]!)!,
      sources,
      hosts,
      stateDir,
      logDir,
      restartBackoffMs: opts.restartBackoffMs ?? 10_000,
      initRetries: opts.initRetries ?? 3,
      log,
    };
    for (const plan of plans) pods.push(new Pod(plan, ctxBase));
    // A container of an earlier run that died without cleaning up (same
    // StatefulSet pod name): remove it by name, only if kube-local made it.
    const ours = new Set(
      (await docker(['ps', '-a', '--filter', 'label=kube-local.pod', '--format', '{{.Names}}']))
        .split('\n')
        .filter(Boolean),
    );
    const stale = dockerNames().filter((n) => ours.has(n));
    if (stale.length > 0) {
      log(`removing containers left by an earlier run: ${stale.join(', ')}`);
      await docker(['rm', '-f', ...stale]);
    }

    // Services first: relays answer once pods are ready.
    for (const { service, clusterIp } of clusterIps) {
      const name = service.metadata?.name ?? '';
      const selector = service.spec?.selector;
      const endpoints = (sp: { port: number; targetPort?: number | string }): Endpoint[] =>
        pods
          .filter((p) => p.ready && matchesSelector(p.plan.labels, selector))
          .flatMap((p) => {
            const port = resolvePort(p.plan, sp.targetPort ?? sp.port);
            return port === undefined ? [] : [{ host: p.ip, port }];
          });
      const ports: ServicePort[] = [];
      const specPorts = new Map<ServicePort, { port: number; targetPort?: number | string }>();
      for (const sp of service.spec?.ports ?? []) {
        if ((sp.protocol ?? 'TCP') !== 'TCP')
          throw new KubeLocalError('unsupported', `Service ${name}: ${sp.protocol}`);
        const key = `${name}/${sp.name ?? sp.port}`;
        const localPort =
          opts.servicePorts?.[key] ?? opts.servicePorts?.[`${name}/${sp.port}`] ?? 0;
        const target = {
          port: sp.port,
          ...(sp.targetPort !== undefined ? { targetPort: sp.targetPort } : {}),
        };
        const port: ServicePort = {
          name: sp.name ?? String(sp.port),
          port: sp.port,
          local: await RoundRobinRelay.start('127.0.0.1', localPort, () => endpoints(target)),
          cluster: await RoundRobinRelay.start(clusterIp, sp.port, () => endpoints(target)),
        };
        specPorts.set(port, target);
        ports.push(port);
      }
      services.set(name, {
        name,
        clusterIp,
        service,
        ports,
        endpoints: (p) => endpoints(specPorts.get(p)!),
      });
    }

    // Jobs (migrations) run to completion first; then every other pod at once, as a cluster would.
    for (const job of objects.filter((o) => o.kind === 'Job')) {
      const backoff = (job['spec'] as { backoffLimit?: number }).backoffLimit ?? 6;
      const jobPods = pods.filter(
        (p) => p.plan.workload.kind === 'Job' && p.plan.workload.name === job.metadata?.name,
      );
      log(`job ${job.metadata?.name}: running ${jobPods.map((p) => p.name).join(', ')}`);
      await Promise.all(jobPods.map((p) => p.runJob(backoff)));
      log(`job ${job.metadata?.name}: complete`);
    }
    await Promise.all(pods.filter((p) => p.plan.workload.kind !== 'Job').map((p) => p.start()));
  } catch (err) {
    await stop();
    throw err;
  }

  const kl: KubeLocal = {
    objects,
    namespace,
    secrets,
    links,
    pods,
    services,
    stateDir,
    logDir,
    podsOf: (workload) => pods.filter((p) => p.plan.workload.name === workload),
    servicePort(service, port) {
      const s = services.get(service);
      const p = s?.ports.find((x) => x.name === String(port) || x.port === Number(port));
      if (!p) throw new KubeLocalError('missing-reference', `no Service port ${service}/${port}`);
      return p.local.port;
    },
    async waitReady(timeoutMs = opts.readyTimeoutMs ?? 180_000) {
      const deadline = Date.now() + timeoutMs;
      const waiting = () => pods.filter((p) => p.plan.workload.kind !== 'Job' && !p.ready);
      while (waiting().length > 0) {
        const failed = pods.find((p) => p.phase === 'Failed');
        if (failed || Date.now() > deadline) {
          const report = waiting()
            .map((p) => {
              const st = p
                .statuses()
                .map((s) => `${s.name}: ${s.state}, ready ${s.ready}, restarts ${s.restarts}`);
              const tail = p.plan.spec.containers.map((c) =>
                p.logTail(c.name).split('\n').slice(-15).join('\n'),
              );
              return `${p.name} (${p.phase}) ${st.join('; ')}\n${tail.join('\n')}`;
            })
            .join('\n');
          throw new KubeLocalError('not-ready', `pods not ready after ${timeoutMs} ms:\n${report}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop,
  };
  return kl;
}
