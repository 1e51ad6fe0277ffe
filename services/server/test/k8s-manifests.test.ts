/**
 * Structural checks of the Kubernetes manifests (k8s/): each overlay is
 * rendered with `kubectl kustomize`, turned into JSON by kubectl itself
 * (`kubectl annotate --local -o json`, which needs no cluster), and checked:
 * one store for every process, a valid configuration in every container,
 * Secrets and ConfigMaps that exist or are documented, Services and probes
 * on ports that exist, listeners on the pod IP, NetworkPolicies, security
 * contexts, drain and autoscaling, migrations, and a base that cannot be
 * applied alone. Skipped (with a message) when kubectl is not installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeConfig, loadConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
  spec?: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface HttpProbe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: {
    runAsUser?: number;
    runAsNonRoot?: boolean;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}
interface PolicyPort {
  protocol?: string;
  port?: string | number;
}
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
    egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
  };
}
interface Service extends K8sObject {
  spec: {
    type?: string;
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}

/** Secrets the operator creates (k8s/README.md), with the keys the manifests may read. */
const OPERATOR_SECRETS: Record<string, string[]> = {
  'parley-links': [
    'ca.crt',
    'redis-password',
    'nats-gateway-password',
    'nats-session-registry-password',
    'nats-muc-password',
    'nats-admin-api-password',
    'nats-s2s-password',
  ],
  'parley-s2s': ['dialback-secret'],
  'parley-sasl': ['fake-salt-secret'],
  'parley-tls': ['tls.crt', 'tls.key'],
  'parley-admin': ['PARLEY_ADMIN_TOKENS'],
  'parley-postgres': ['password', 'ca.crt'],
  'parley-cassandra': ['password', 'ca.crt'],
};

/** Variables read besides PARLEY_* (docs/configuration.md). */
const OTHER_VARIABLES = new Set(['NATS_URL', 'REDIS_URL', 'GATEWAY_ID', 'NODE_ID']);
const CONFIG_VARIABLES = new Set(describeConfig().map((k) => k.env));
const PART_OF = 'app.kubernetes.io/part-of';
const NAME = 'app.kubernetes.io/name';
/** The in-process drain limit of every process (libs/telemetry onShutdownSignal). */
const DRAIN_TIMEOUT_S = 30;
const POD_IP = '10.0.0.7';

interface Overlay {
  dir: string;
  store: Config['store']['kind'];
  /** The database pods' name label, for the multi-host overlays. */
  db?: { name: string; port: number };
}
const OVERLAYS: Overlay[] = [
  { dir: 'k8s/overlays/postgres', store: 'postgres', db: { name: 'postgresql', port: 5432 } },
  { dir: 'k8s/overlays/cassandra', store: 'cassandra', db: { name: 'cassandra', port: 9042 } },
  { dir: 'k8s/overlays/single-host', store: 'lmdb' },
];

function kubectl(args: string[], input?: string) {
  return spawnSync('kubectl', args, {
    input,
    encoding: 'utf8',
    // Nothing here talks to a cluster.
    env: { ...process.env, KUBECONFIG: '/dev/null' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

const kubectlMissing = kubectl(['version', '--client']).status !== 0;
const SKIP_REASON =
  'kubectl (with kustomize) is not installed: the Kubernetes manifests in k8s/ were NOT checked';
if (kubectlMissing) console.warn(SKIP_REASON);

const rendered = new Map<string, K8sObject[]>();
function render(dir: string): K8sObject[] {
  const cached = rendered.get(dir);
  if (cached) return cached;
  const built = kubectl(['kustomize', join(root, dir)]);
  if (built.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${built.stderr}`);
  // kubectl prints YAML only; `annotate --local` re-reads it offline and prints JSON objects.
  const json = kubectl(
    ['annotate', '--local', '-f', '-', '-o', 'json', 'parley.test/none-'],
    built.stdout,
  );
  if (json.status !== 0) throw new Error(`kubectl annotate --local failed:\n${json.stderr}`);
  // One pretty-printed object after another: each starts with "{" alone on a line.
  const objects = json.stdout
    .split(/^(?=\{$)/m)
    .filter((s) => s.trim() !== '')
    .map((s) => JSON.parse(s) as K8sObject);
  rendered.set(dir, objects);
  return objects;
}

function ofKind<T extends K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}
function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)) as Workload[];
}
/** Long-running processes: the main containers of Deployments and StatefulSets. */
function servers(objects: K8sObject[]): { w: Workload; c: Container }[] {
  return workloads(objects)
    .filter((w) => w.kind !== 'Job')
    .flatMap((w) => w.spec.template.spec.containers.map((c) => ({ w, c })));
}
function allContainers(w: Workload): Container[] {
  return [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers];
}
function where(w: Workload, c: Container): string {
  return `${w.kind}/${w.metadata.name} container ${c.name}`;
}

function matches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(value ?? ''))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(value ?? '')) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
function podsSelectedBy(objects: K8sObject[], selector: LabelSelector): Workload[] {
  return workloads(objects).filter((w) => matches(selector, w.spec.template.metadata.labels));
}

/** A placeholder for a Secret value that the configuration must accept. */
function secretPlaceholder(key: string): string {
  return key === 'PARLEY_ADMIN_TOKENS' ? `test:${'a'.repeat(64)}:read+admin` : 'secret';
}

/** The environment a container starts with: ConfigMaps, then its own variables. */
function environment(objects: K8sObject[], w: Workload, c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = ofKind(objects, 'ConfigMap').find(
        (o) => o.metadata.name === from.configMapRef?.name,
      );
      expect(cm, `${where(w, c)}: ConfigMap ${from.configMapRef.name}`).toBeDefined();
      Object.assign(env, cm?.data ?? {});
    }
    if (from.secretRef) {
      throw new Error(
        `${where(w, c)}: envFrom a Secret hides which keys it reads; use secretKeyRef`,
      );
    }
  }
  for (const v of c.env ?? []) {
    const field = v.valueFrom?.fieldRef?.fieldPath;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (field === 'metadata.name') env[v.name] = `${w.metadata.name}-7d9f8-x2x5q`;
    else if (field === 'status.podIP') env[v.name] = POD_IP;
    else if (v.valueFrom?.secretKeyRef)
      env[v.name] = secretPlaceholder(v.valueFrom.secretKeyRef.key);
    else if (v.valueFrom?.configMapKeyRef) {
      const ref = v.valueFrom.configMapKeyRef;
      const cm = ofKind(objects, 'ConfigMap').find((o) => o.metadata.name === ref.name);
      expect(
        cm?.data?.[ref.key],
        `${where(w, c)}: ConfigMap ${ref.name} key ${ref.key}`,
      ).toBeDefined();
      env[v.name] = cm?.data?.[ref.key] ?? '';
    } else throw new Error(`${where(w, c)}: ${v.name} has a value source this test does not know`);
  }
  return env;
}

function configOf(objects: K8sObject[], w: Workload, c: Container): Config {
  const env = environment(objects, w, c);
  for (const name of Object.keys(env)) {
    const known = CONFIG_VARIABLES.has(name) || OTHER_VARIABLES.has(name);
    expect(known, `${where(w, c)}: ${name} is not a configuration variable`).toBe(true);
  }
  try {
    return loadConfig({ env });
  } catch (err) {
    throw new Error(`${where(w, c)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Where a process's durable data lives, as one comparable string. */
function storeLocation(config: Config): string {
  const { store } = config;
  if (store.kind === 'postgres') {
    const p = store.postgres;
    return `postgres ${p.url ?? `${p.host}:${p.port}/${p.database}`} schema ${p.schema}`;
  }
  if (store.kind === 'cassandra') {
    const c = store.cassandra;
    return `cassandra ${c.contactPoints.join(',')} dc ${c.localDataCenter} keyspace ${c.keyspace}`;
  }
  return `${store.kind} ${posix.resolve('/app', config.server.dataDir)}`;
}

/** The volume mounted at the directory holding `file`, and the file's path inside it. */
function mountOf(w: Workload, c: Container, file: string): { volume: Volume; path: string } {
  for (const m of c.volumeMounts ?? []) {
    const rel = relative(m.mountPath, file);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
      const volume = w.spec.template.spec.volumes?.find((v) => v.name === m.name);
      const claim = w.spec.volumeClaimTemplates?.find((t) => t.metadata.name === m.name);
      if (volume) return { volume, path: rel };
      if (claim)
        return {
          volume: { name: m.name, persistentVolumeClaim: { claimName: m.name } },
          path: rel,
        };
      throw new Error(`${where(w, c)}: mount ${m.name} has no volume`);
    }
  }
  throw new Error(`${where(w, c)}: ${file} is on no mounted volume`);
}

describe.skipIf(kubectlMissing)('Kubernetes manifests (k8s/)', () => {
  it('the base and the cluster component are not entry points: they do not build alone', () => {
    for (const dir of ['k8s/base', 'k8s/components/cluster']) {
      const built = kubectl(['kustomize', join(root, dir)]);
      expect(built.status, `kubectl kustomize ${dir} should fail`).not.toBe(0);
      expect(built.stderr).toContain('parley-store');
    }
  });

  it('k8s/README.md says how to create every Secret the manifests read', () => {
    const readme = readFileSync(join(root, 'k8s/README.md'), 'utf8');
    for (const [name, keys] of Object.entries(OPERATOR_SECRETS)) {
      const command = new RegExp(`kubectl -n parley create secret (generic|tls) ${name}\\b`).exec(
        readme,
      );
      expect(command, `the command that creates ${name}`).not.toBeNull();
      // `create secret tls` names its keys tls.crt and tls.key itself.
      if (command?.[1] === 'tls') expect(keys).toEqual(['tls.crt', 'tls.key']);
      else for (const key of keys) expect(readme, `${name} key ${key}`).toContain(`${key}=`);
    }
  });

  describe.each(OVERLAYS)('$dir', (overlay) => {
    const objects = () => render(overlay.dir);

    it('renders, ships no Secret, and puts everything in the parley namespace', () => {
      const all = objects();
      expect(all.length).toBeGreaterThan(0);
      expect(ofKind(all, 'Secret')).toEqual([]);
      for (const o of all) {
        if (o.kind === 'Namespace') expect(o.metadata.name).toBe('parley');
        else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('parley');
      }
    });

    it('every container reads a valid configuration, and all share one store', () => {
      const all = objects();
      const extra = overlay.store === 'cassandra' ? render('k8s/overlays/cassandra/bootstrap') : [];
      const kinds = new Set<string>();
      const locations = new Set<string>();
      for (const set of [all, extra]) {
        for (const w of workloads(set)) {
          for (const c of allContainers(w)) {
            const config = configOf(set, w, c);
            kinds.add(config.store.kind);
            locations.add(storeLocation(config));
            if (config.store.kind === 'postgres') {
              expect(config.store.postgres.sslMode).toBe('verify-full');
              expect(config.store.postgres.passwordFile).toBeDefined();
              expect(config.store.postgres.tls.caFile).toBeDefined();
            }
            if (config.store.kind === 'cassandra') {
              expect(config.store.cassandra.username).toBeDefined();
              expect(config.store.cassandra.passwordFile).toBeDefined();
              expect(config.store.cassandra.tls.caFile).toBeDefined();
            }
            if (config.store.kind === 'lmdb') {
              const dir = posix.resolve('/app', config.server.dataDir);
              const { volume } = mountOf(w, c, `${dir}/db`);
              expect(volume.persistentVolumeClaim, `${where(w, c)}: LMDB on a claim`).toBeDefined();
            }
          }
        }
      }
      expect([...kinds]).toEqual([overlay.store]);
      expect(locations.size, [...locations].join('\n')).toBe(1);
    });

    it('Secrets are operator-created and documented, ConfigMaps exist, *_FILE paths are mounted', () => {
      const all = objects();
      const configMaps = new Set(ofKind(all, 'ConfigMap').map((o) => o.metadata.name));
      for (const w of workloads(all)) {
        for (const v of w.spec.template.spec.volumes ?? []) {
          if (v.secret) {
            const keys = OPERATOR_SECRETS[v.secret.secretName];
            expect(keys, `Secret ${v.secret.secretName}`).toBeDefined();
            expect(v.secret.items, `volume ${v.name}: list the keys it needs`).toBeDefined();
            for (const item of v.secret.items ?? []) expect(keys).toContain(item.key);
          }
          if (v.configMap) expect(configMaps).toContain(v.configMap.name);
        }
        for (const c of allContainers(w)) {
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) expect(OPERATOR_SECRETS[ref.name], `Secret ${ref.name}`).toContain(ref.key);
          }
          const env = environment(all, w, c);
          for (const [name, file] of Object.entries(env)) {
            if (!name.endsWith('_FILE')) continue;
            const { volume, path } = mountOf(w, c, file);
            if (volume.secret) {
              const paths = (volume.secret.items ?? []).map((i) => i.path);
              expect(paths, `${where(w, c)}: ${name}=${file}`).toContain(path);
            }
          }
        }
      }
    });

    it('Services select existing pods and target container ports that exist', () => {
      const all = objects();
      for (const svc of ofKind<Service>(all, 'Service')) {
        const pods = podsSelectedBy(all, { matchLabels: svc.spec.selector ?? {} });
        expect(Object.keys(svc.spec.selector ?? {}).length, svc.metadata.name).toBeGreaterThan(0);
        expect(pods.length, `Service ${svc.metadata.name} selects no pods`).toBeGreaterThan(0);
        for (const p of svc.spec.ports) {
          const target = p.targetPort ?? p.port;
          for (const w of pods) {
            const ports = w.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
            const found = ports.some((cp) =>
              typeof target === 'string' ? cp.name === target : cp.containerPort === target,
            );
            expect(found, `Service ${svc.metadata.name} port ${p.name} on ${w.metadata.name}`).toBe(
              true,
            );
          }
        }
      }
    });

    it('the client Service exposes 5222, 5223, 5290 (ws) and 5291 (wss), the s2s Service 5269 and 5270, keeping peer addresses', () => {
      const lbs = ofKind<Service>(objects(), 'Service').filter(
        (s) => s.spec.type === 'LoadBalancer',
      );
      const federated = overlay.db !== undefined;
      expect(lbs.map((s) => s.metadata.name).sort()).toEqual(
        federated ? ['gateway', 's2s'] : ['gateway'],
      );
      const expected: Record<string, number[]> = {
        gateway: [5222, 5223, 5290, 5291],
        s2s: [5269, 5270],
      };
      for (const lb of lbs) {
        expect(lb.spec.externalTrafficPolicy, lb.metadata.name).toBe('Local');
        expect(lb.spec.ports.map((p) => p.port).sort(), lb.metadata.name).toEqual(
          expected[lb.metadata.name],
        );
      }
    });

    it.runIf(overlay.db !== undefined)(
      'federation: every process routes to the S2S partitions alike; the s2s workers share one dialback secret',
      () => {
        const all = objects();
        const views = new Set<string>();
        for (const { w, c } of servers(all)) {
          const config = configOf(all, w, c);
          views.add(
            JSON.stringify([
              config.s2s.enabled,
              config.s2s.partitions,
              config.components.list.map((x) => x.domain).sort(),
            ]),
          );
        }
        expect([...views], 's2s.enabled, s2s.partitions, component domains').toEqual([
          JSON.stringify([true, 16, []]),
        ]);
        const s2s = ofKind<Workload>(all, 'Deployment').filter((d) =>
          d.spec.template.spec.containers.some((c) => c.ports?.some((p) => p.name === 's2s')),
        );
        expect(s2s.map((d) => d.metadata.name)).toEqual(['s2s']);
        for (const d of s2s) {
          const c = d.spec.template.spec.containers[0]!;
          const config = configOf(all, d, c);
          expect(config.s2s.dialbackSecretFile, where(d, c)).toBeDefined();
          const { volume } = mountOf(d, c, config.s2s.dialbackSecretFile ?? '');
          expect(volume.secret?.secretName).toBe('parley-s2s');
          expect(c.env?.find((e) => e.name === 'PARLEY_BUS_NATS_USER')?.value).toBe('s2s');
        }
        // Every gateway shows an unknown user the same SCRAM salt (issue 15): one secret.
        const gateways = ofKind<Workload>(all, 'Deployment').filter((d) =>
          d.spec.template.spec.containers.some((c) => c.ports?.some((p) => p.name === 'c2s')),
        );
        expect(gateways.map((d) => d.metadata.name)).toContain('gateway');
        for (const d of gateways) {
          const c = d.spec.template.spec.containers[0]!;
          if (!c.command?.join(' ').includes('services/gateway/')) continue;
          const config = configOf(all, d, c);
          expect(config.sasl.fakeSaltSecretFile, where(d, c)).toBeDefined();
          const { volume } = mountOf(d, c, config.sasl.fakeSaltSecretFile ?? '');
          expect(volume.secret?.secretName).toBe('parley-sasl');
        }
      },
    );

    it('listeners bind to the pod IP on the configured ports; NODE_ID is the pod name', () => {
      const all = objects();
      for (const { w, c } of servers(all)) {
        const config = configOf(all, w, c);
        const fromPodIp = (name: string) =>
          c.env?.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath === 'status.podIP';
        const nodeId = c.env?.find((e) => e.name === 'NODE_ID')?.valueFrom?.fieldRef?.fieldPath;
        expect(nodeId, `${where(w, c)}: NODE_ID`).toBe('metadata.name');
        const listeners: Record<string, [string, number, boolean]> = {
          c2s: ['PARLEY_C2S_HOST', config.c2s.port, true],
          'c2s-tls': ['PARLEY_C2S_HOST', config.c2s.directTlsPort, true],
          ws: [
            'PARLEY_WEBSOCKET_HOST',
            config.websocket.port,
            config.websocket.enabled && config.websocket.listeners.includes('ws'),
          ],
          wss: [
            'PARLEY_WEBSOCKET_TLS_HOST',
            config.websocket.tlsPort,
            config.websocket.enabled && config.websocket.listeners.includes('wss'),
          ],
          http: ['PARLEY_HTTP_HOST', config.http.port, true],
          ops: ['PARLEY_OPS_HOST', config.ops.port, config.ops.port !== 0],
          api: ['PARLEY_ADMIN_HOST', config.admin.port, true],
          s2s: ['PARLEY_S2S_HOST', config.s2s.port, config.s2s.enabled],
          's2s-tls': [
            'PARLEY_S2S_HOST',
            config.s2s.directTlsPort,
            config.s2s.enabled && config.s2s.directTlsPort !== 0,
          ],
          component: [
            'PARLEY_COMPONENTS_HOST',
            config.components.port,
            config.components.port !== 0,
          ],
        };
        for (const p of c.ports ?? []) {
          const listener = listeners[p.name ?? ''];
          expect(listener, `${where(w, c)}: port ${p.name ?? p.containerPort}`).toBeDefined();
          if (!listener) continue;
          const [hostVariable, port, enabled] = listener;
          expect(enabled, `${where(w, c)}: ${p.name} is not enabled`).toBe(true);
          expect(p.containerPort, `${where(w, c)}: ${p.name}`).toBe(port);
          expect(fromPodIp(hostVariable), `${where(w, c)}: ${hostVariable}`).toBe(true);
        }
        if (c.ports?.some((p) => p.name === 'c2s' || p.name === 's2s')) {
          expect(config.tls.certFile, `${where(w, c)}: tls.certFile`).toBeDefined();
          const { volume } = mountOf(w, c, config.tls.certFile ?? '');
          expect(volume.secret?.secretName).toBe('parley-tls');
        }
      }
    });

    it('probes: startup, /readyz and /healthz on the http port of every process', () => {
      const all = objects();
      for (const { w, c } of servers(all)) {
        const ports = new Set((c.ports ?? []).map((p) => p.name));
        const probes = {
          startupProbe: '/healthz',
          readinessProbe: '/readyz',
          livenessProbe: '/healthz',
        };
        for (const [probe, path] of Object.entries(probes)) {
          const get = c[probe as keyof typeof probes]?.httpGet;
          expect(get?.path, `${where(w, c)}: ${probe}`).toBe(path);
          expect(get?.port, `${where(w, c)}: ${probe} port`).toBe('http');
          expect(ports.has(String(get?.port)), `${where(w, c)}: ${probe} port exists`).toBe(true);
        }
      }
    });

    it('Prometheus scrapes /metrics on the ops port, which without a token only the monitoring namespace reaches', () => {
      const all = objects();
      const policies = ofKind<NetworkPolicy>(all, 'NetworkPolicy');
      const monitoring = {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      };
      for (const { w, c } of servers(all)) {
        const config = configOf(all, w, c);
        const annotations = w.spec.template.metadata.annotations ?? {};
        expect(config.ops.port, `${where(w, c)}: ops.port`).not.toBe(0);
        expect(annotations['prometheus.io/scrape'], where(w, c)).toBe('true');
        expect(annotations['prometheus.io/port'], where(w, c)).toBe(String(config.ops.port));
        // The probe port no longer serves /metrics (docs/security.md).
        expect(config.ops.port).not.toBe(config.http.port);
        if (config.ops.requireToken) continue;
        const rules = policies
          .filter((p) => matches(p.spec.podSelector, w.spec.template.metadata.labels))
          .flatMap((p) => p.spec.ingress ?? [])
          .filter((r) => r.ports === undefined || r.ports.some((p) => p.port === 'ops'));
        expect(rules.length, `${where(w, c)}: a policy opens the ops port`).toBeGreaterThan(0);
        for (const r of rules) {
          expect(r.from, `${where(w, c)}: ops port from`).toEqual([monitoring]);
        }
      }
    });

    it('no container runs as root or can gain privileges; root file systems are read-only', () => {
      const bootstrap =
        overlay.store === 'cassandra' ? render('k8s/overlays/cassandra/bootstrap') : [];
      for (const w of workloads([...objects(), ...bootstrap])) {
        const pod = w.spec.template.spec;
        expect(pod.securityContext?.runAsNonRoot, `${w.metadata.name}: runAsNonRoot`).toBe(true);
        // The image's user is `node` (uid 1000): a name, which runAsNonRoot cannot check alone.
        expect(pod.securityContext?.runAsUser, `${w.metadata.name}: runAsUser`).toBe(1000);
        expect(pod.automountServiceAccountToken, w.metadata.name).toBe(false);
        for (const c of allContainers(w)) {
          const sc = c.securityContext;
          expect(sc?.runAsUser ?? 1000, where(w, c)).not.toBe(0);
          expect(sc?.privileged ?? false, where(w, c)).toBe(false);
          expect(sc?.allowPrivilegeEscalation, where(w, c)).toBe(false);
          expect(sc?.readOnlyRootFilesystem, where(w, c)).toBe(true);
          expect(sc?.capabilities?.drop, where(w, c)).toContain('ALL');
          expect(sc?.capabilities?.add ?? [], where(w, c)).toEqual([]);
        }
      }
    });

    it('graceful drain, PodDisruptionBudgets and autoscaling', () => {
      const all = objects();
      for (const { w, c } of servers(all)) {
        const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
        const sleep = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
        expect(
          w.spec.template.spec.terminationGracePeriodSeconds ?? 30,
          `${where(w, c)}: grace period > preStop + drain timeout`,
        ).toBeGreaterThan(sleep + DRAIN_TIMEOUT_S);
      }
      const pdbs = ofKind<K8sObject & { spec: { selector: LabelSelector } }>(
        all,
        'PodDisruptionBudget',
      );
      for (const pdb of pdbs) expect(podsSelectedBy(all, pdb.spec.selector).length).toBe(1);
      const hpas = ofKind<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string } } }>(
        all,
        'HorizontalPodAutoscaler',
      );
      for (const hpa of hpas) {
        const { kind, name } = hpa.spec.scaleTargetRef;
        expect(kind, `HPA ${hpa.metadata.name}`).toBe('Deployment');
        expect(workloads(all).some((w) => w.kind === kind && w.metadata.name === name)).toBe(true);
      }
      for (const d of ofKind<Workload>(all, 'Deployment')) {
        expect(pdbs.some((p) => matches(p.spec.selector, d.spec.template.metadata.labels))).toBe(
          true,
        );
      }
      for (const s of ofKind<Workload>(all, 'StatefulSet')) expect(s.spec.replicas).toBe(1);
      if (overlay.store === 'lmdb') expect(hpas).toEqual([]);
    });

    it('NetworkPolicies: default deny for Parley pods, only Parley reaches NATS, Redis and the store', () => {
      const all = objects();
      const policies = ofKind<NetworkPolicy>(all, 'NetworkPolicy');
      const parley = { matchLabels: { [PART_OF]: 'parley' } };
      for (const w of workloads(all)) {
        expect(w.spec.template.metadata.labels?.[PART_OF], w.metadata.name).toBe('parley');
      }
      const deny = policies.find(
        (p) =>
          JSON.stringify(p.spec.podSelector) === JSON.stringify(parley) &&
          p.spec.policyTypes?.includes('Ingress') &&
          p.spec.policyTypes.includes('Egress') &&
          !p.spec.ingress &&
          !p.spec.egress,
      );
      expect(deny, 'a default-deny policy for every Parley pod').toBeDefined();
      const backends = overlay.db
        ? [{ name: 'nats', port: 4222 }, { name: 'redis', port: 6379 }, overlay.db]
        : [];
      for (const backend of backends) {
        const guard = policies.filter(
          (p) => p.spec.podSelector.matchLabels?.[NAME] === backend.name,
        );
        expect(guard.length, `a policy on the ${backend.name} pods`).toBe(1);
        for (const rule of guard[0]?.spec.ingress ?? []) {
          for (const peer of rule.from ?? [{}]) {
            const fromParley = JSON.stringify(peer) === JSON.stringify({ podSelector: parley });
            const fromPeers =
              JSON.stringify(peer) ===
              JSON.stringify({ podSelector: { matchLabels: { [NAME]: backend.name } } });
            expect(
              fromParley || fromPeers,
              `${backend.name} ingress from ${JSON.stringify(peer)}`,
            ).toBe(true);
            if (fromParley) expect(rule.ports).toEqual([{ protocol: 'TCP', port: backend.port }]);
          }
        }
      }
      // Egress of Parley pods: DNS and the backends, nothing else.
      const egress = policies
        .filter((p) => matches(p.spec.podSelector, { [PART_OF]: 'parley', [NAME]: 'gateway' }))
        .flatMap((p) => p.spec.egress ?? []);
      for (const rule of egress) {
        const dns = (rule.ports ?? []).every((p) => p.port === 53);
        const toBackend = (rule.to ?? []).every((peer) =>
          backends.some((b) => peer.podSelector?.matchLabels?.[NAME] === b.name),
        );
        expect(dns || (rule.to !== undefined && toBackend), JSON.stringify(rule)).toBe(true);
      }
      for (const backend of backends) {
        const reached = egress.some((r) =>
          (r.to ?? []).some((peer) => peer.podSelector?.matchLabels?.[NAME] === backend.name),
        );
        expect(reached, `Parley pods reach ${backend.name}`).toBe(true);
      }
      // Remote servers reach the s2s ports from anywhere; components only from the namespace.
      for (const w of workloads(all)) {
        const names = new Set(allContainers(w).flatMap((c) => (c.ports ?? []).map((p) => p.name)));
        if (!names.has('s2s')) continue;
        const labels = w.spec.template.metadata.labels;
        const rules = policies
          .filter((p) => matches(p.spec.podSelector, labels))
          .flatMap((p) => p.spec.ingress ?? []);
        const open = (port: string) =>
          rules.some((r) => r.from === undefined && (r.ports ?? []).some((p) => p.port === port));
        expect(open('s2s') && open('s2s-tls'), `${w.metadata.name}: s2s ports open`).toBe(true);
        expect(open('component'), `${w.metadata.name}: component port not open`).toBe(false);
      }
      // Named ports in policies exist on the pods they select.
      for (const p of policies) {
        const pods = podsSelectedBy(all, p.spec.podSelector);
        for (const port of (p.spec.ingress ?? []).flatMap((r) => r.ports ?? [])) {
          if (typeof port.port !== 'string') continue;
          const named = pods.some((w) =>
            allContainers(w).some((c) => (c.ports ?? []).some((cp) => cp.name === port.port)),
          );
          expect(named, `${p.metadata.name}: port ${port.port}`).toBe(true);
        }
      }
    });

    it.runIf(overlay.db !== undefined)(
      'every Deployment migrates the schema in an init container before its server starts',
      () => {
        for (const d of ofKind<Workload>(objects(), 'Deployment')) {
          const [init] = d.spec.template.spec.initContainers ?? [];
          const [main] = d.spec.template.spec.containers;
          expect(init?.command?.slice(-2), d.metadata.name).toEqual([overlay.store, 'migrate']);
          expect(init?.image, d.metadata.name).toBe(main?.image);
        }
      },
    );
  });

  it('the Cassandra bootstrap Job creates the keyspace once', () => {
    const [job] = ofKind<Workload>(render('k8s/overlays/cassandra/bootstrap'), 'Job');
    expect(job?.spec.template.spec.containers[0]?.command?.slice(-3)).toEqual([
      'cassandra',
      'migrate',
      '--create-keyspace',
    ]);
  });
});

describe.skipIf(!kubectlMissing)('Kubernetes manifests (k8s/)', () => {
  it.skip(SKIP_REASON, () => undefined);
});
