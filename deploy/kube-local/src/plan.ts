/**
 * From rendered objects to pods: workloads expanded into pods (replicas,
 * StatefulSet ordinals, Jobs), each with its pod IP, and each container's
 * environment resolved as the kubelet does (envFrom, then env; ConfigMap and
 * Secret references; the downward API; `$(VAR)` expansion; Service links).
 */
import { createHash, randomBytes } from 'node:crypto';
import { KubeLocalError } from './errors.js';
import type { Container, EnvVar, KubeObject, PodSpec, Service } from './types.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'Job';

export interface PodPlan {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** A distinct loopback address (status.podIP). */
  ip: string;
  workload: { kind: WorkloadKind; name: string };
  spec: PodSpec;
  /** StatefulSet volumeClaimTemplates (claim name prefix). */
  claimTemplates: string[];
  /** Pod hostname / subdomain (StatefulSet pods under their headless Service). */
  hostname?: string;
  subdomain?: string;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

interface WorkloadSpec {
  replicas?: number;
  template: PodTemplate;
  serviceName?: string;
  volumeClaimTemplates?: Array<{ metadata?: { name?: string } }>;
  parallelism?: number;
  completions?: number;
}

const suffix = (n: number): string => {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(n);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
};

/** replicas, raised to an HPA's minReplicas as the autoscaler would. */
function replicasOf(obj: KubeObject, spec: WorkloadSpec, objects: KubeObject[]): number {
  let replicas = spec.replicas ?? 1;
  for (const hpa of objects) {
    if (hpa.kind !== 'HorizontalPodAutoscaler') continue;
    const s = hpa['spec'] as {
      scaleTargetRef?: { kind?: string; name?: string };
      minReplicas?: number;
    };
    if (s.scaleTargetRef?.kind === obj.kind && s.scaleTargetRef.name === obj.metadata?.name) {
      replicas = Math.max(replicas, s.minReplicas ?? 1);
    }
  }
  return replicas;
}

/** Every pod the workloads of `objects` ask for, with pod IPs from `ipBase` (e.g. 127.0.10.). */
export function planPods(objects: KubeObject[], ipBase = '127.0.10.'): PodPlan[] {
  const pods: PodPlan[] = [];
  let nextIp = 1;
  for (const obj of objects) {
    if (obj.kind !== 'Deployment' && obj.kind !== 'StatefulSet' && obj.kind !== 'Job') continue;
    if (obj.kind === 'Deployment' || obj.kind === 'StatefulSet') {
      if (obj.apiVersion !== 'apps/v1') {
        throw new KubeLocalError('unsupported', `${obj.kind} ${obj.apiVersion}`);
      }
    }
    const spec = obj['spec'] as WorkloadSpec;
    const name = obj.metadata?.name ?? '';
    const namespace = obj.metadata?.namespace ?? 'default';
    const labels = spec.template.metadata?.labels ?? {};
    const hash = createHash('sha256')
      .update(JSON.stringify(spec.template))
      .digest('hex')
      .slice(0, 10)
      .replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)]!);
    const count =
      obj.kind === 'Job' ? Math.max(spec.parallelism ?? 1, 1) : replicasOf(obj, spec, objects);
    for (let i = 0; i < count; i++) {
      const podName =
        obj.kind === 'StatefulSet'
          ? `${name}-${i}`
          : obj.kind === 'Job'
            ? `${name}-${suffix(5)}`
            : `${name}-${hash}-${suffix(5)}`;
      pods.push({
        name: podName,
        namespace,
        labels,
        ip: `${ipBase}${nextIp++}`,
        workload: { kind: obj.kind, name },
        spec: spec.template.spec,
        claimTemplates: (spec.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? ''),
        ...(obj.kind === 'StatefulSet'
          ? { hostname: podName, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) }
          : {}),
      });
    }
  }
  return pods;
}

/** Where the environment's references are looked up. */
export interface EnvSources {
  configMaps: Map<string, Map<string, string>>;
  secrets: Map<string, Map<string, string>>;
  /** Service link variables (FOO_SERVICE_HOST, ...) of the pod's namespace. */
  serviceLinks: Record<string, string>;
}

/** `$(VAR)` expansion of the kubelet: defined names are replaced, `$$` is a `$`, others stay. */
export function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : m;
  });
}

function lookup(
  where: string,
  sources: Map<string, Map<string, string>>,
  name: string,
  key: string | undefined,
  optional: boolean | undefined,
): string | undefined {
  const entries = sources.get(name);
  if (entries === undefined) {
    if (optional) return undefined;
    throw new KubeLocalError('missing-reference', `${where}: ${name} does not exist`);
  }
  if (key === undefined) return undefined;
  const value = entries.get(key);
  if (value === undefined && !optional) {
    throw new KubeLocalError('missing-reference', `${where}: ${name} has no key ${key}`);
  }
  return value;
}

/** A Kubernetes quantity (`512Mi`, `250m`, `1.5`, `2G`) as a number. */
export function parseQuantity(v: string | number): number {
  const s = String(v);
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(s);
  if (!m) throw new KubeLocalError('unsupported', `quantity ${s}`);
  const units: Record<string, number> = {
    m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  }; // prettier-ignore
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
}

function resourceField(container: Container, resource: string, divisor?: string): string {
  const [kind, what] = resource.split('.') as [string, string];
  const map = (kind === 'limits' ? container.resources?.limits : container.resources?.requests) as
    Record<string, string | number> | undefined;
  const raw = map?.[what];
  if (raw === undefined) {
    throw new KubeLocalError('unsupported', `resourceFieldRef ${resource}: not set`);
  }
  return String(Math.ceil(parseQuantity(raw) / parseQuantity(divisor ?? '1')));
}

/** The container's environment, in the kubelet's order (envFrom, then env, Service links under both). */
export function resolveEnv(
  pod: PodPlan,
  container: Container,
  sources: EnvSources,
): Record<string, string> {
  const where = `pod ${pod.name} container ${container.name}`;
  const env: Record<string, string> = {};
  if (pod.spec.enableServiceLinks !== false) Object.assign(env, sources.serviceLinks);
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configMap' : 'secret';
    if (ref?.name === undefined) throw new KubeLocalError('unsupported', `${where}: envFrom`);
    const entries = (kind === 'configMap' ? sources.configMaps : sources.secrets).get(ref.name);
    if (entries === undefined) {
      if (ref.optional) continue;
      throw new KubeLocalError(
        'missing-reference',
        `${where}: envFrom ${kind} ${ref.name} does not exist`,
      );
    }
    for (const [k, v] of entries) env[`${prefix}${k}`] = v;
  }
  for (const v of container.env ?? []) {
    const value = envValue(where, pod, container, v, env, sources);
    if (value !== undefined) env[v.name] = value;
  }
  return env;
}

function envValue(
  where: string,
  pod: PodPlan,
  container: Container,
  v: EnvVar,
  env: Record<string, string>,
  sources: EnvSources,
): string | undefined {
  if (v.valueFrom === undefined) return expand(v.value ?? '', env);
  const from = v.valueFrom;
  if (from.configMapKeyRef) {
    const r = from.configMapKeyRef;
    return lookup(`${where} env ${v.name}`, sources.configMaps, r.name ?? '', r.key, r.optional);
  }
  if (from.secretKeyRef) {
    const r = from.secretKeyRef;
    return lookup(`${where} env ${v.name}`, sources.secrets, r.name ?? '', r.key, r.optional);
  }
  if (from.fieldRef) {
    const path = from.fieldRef.fieldPath;
    const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
    if (label) return pod.labels[label[1]!] ?? '';
    switch (path) {
      case 'metadata.name':
        return pod.name;
      case 'metadata.namespace':
        return pod.namespace;
      case 'metadata.uid':
        return createHash('sha256').update(pod.name).digest('hex').slice(0, 32);
      case 'status.podIP':
        return pod.ip;
      case 'status.podIPs':
        return pod.ip;
      case 'status.hostIP':
      case 'status.hostIPs':
        return '127.0.0.1';
      case 'spec.nodeName':
        return 'kube-local';
      case 'spec.serviceAccountName':
        return pod.spec.serviceAccountName ?? 'default';
      default:
        throw new KubeLocalError('unsupported', `${where} env ${v.name}: fieldRef ${path}`);
    }
  }
  if (from.resourceFieldRef) {
    const r = from.resourceFieldRef;
    const target = r.containerName
      ? pod.spec.containers.find((c) => c.name === r.containerName)
      : container;
    if (!target)
      throw new KubeLocalError('missing-reference', `${where}: container ${r.containerName}`);
    return resourceField(
      target,
      r.resource,
      r.divisor === undefined ? undefined : String(r.divisor),
    );
  }
  throw new KubeLocalError('unsupported', `${where} env ${v.name}: valueFrom`);
}

/** The variables the kubelet adds for every Service of the namespace (enableServiceLinks). */
export function serviceLinkEnv(
  services: Array<{ service: Service; clusterIp: string }>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { service, clusterIp } of services) {
    if (service.spec?.clusterIP === 'None') continue;
    const base = (service.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    const ports = service.spec?.ports ?? [];
    if (ports.length === 0) continue;
    env[`${base}_SERVICE_HOST`] = clusterIp;
    env[`${base}_SERVICE_PORT`] = String(ports[0]!.port);
    env[`${base}_PORT`] =
      `${(ports[0]!.protocol ?? 'TCP').toLowerCase()}://${clusterIp}:${ports[0]!.port}`;
    for (const p of ports) {
      const proto = p.protocol ?? 'TCP';
      if (p.name)
        env[`${base}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
      const k = `${base}_PORT_${p.port}_${proto}`;
      env[k] = `${proto.toLowerCase()}://${clusterIp}:${p.port}`;
      env[`${k}_PROTO`] = proto.toLowerCase();
      env[`${k}_PORT`] = String(p.port);
      env[`${k}_ADDR`] = clusterIp;
    }
  }
  return env;
}

/** A container port by number or name (`targetPort: http`). */
export function resolvePort(
  pod: PodPlan,
  port: number | string,
  container?: Container,
): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const c of container ? [container] : pod.spec.containers) {
    const found = c.ports?.find((p) => p.name === port);
    if (found) return found.containerPort;
  }
  return undefined;
}

export function matchesSelector(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
