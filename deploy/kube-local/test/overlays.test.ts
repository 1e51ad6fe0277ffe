/**
 * The cluster overlays as kube-local plans them, without Docker: every pod
 * (the s2s workers included) finds each Secret key it reads among the
 * Secrets kube-local generates, every NATS user it names has the
 * permissions of docs/security.md, and the s2s workers get their listeners,
 * dialback secret and Service. Skipped when kubectl is missing.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NATS_PERMISSIONS,
  generateSecrets,
  planPods,
  renderKustomize,
  resolveEnv,
} from '../src/index.js';
import type { EnvSources, GeneratedSecrets, KubeObject, PodPlan } from '../src/index.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const kubectlMissing = spawnSync('kubectl', ['version', '--client']).status !== 0;

describe.skipIf(kubectlMissing).each(['k8s/overlays/postgres', 'k8s/overlays/cassandra'])(
  '%s as kube-local plans it',
  (overlay) => {
    let objects: KubeObject[];
    let pods: PodPlan[];
    let secrets: GeneratedSecrets;
    let sources: EnvSources;

    beforeAll(async () => {
      objects = await renderKustomize(resolve(repoRoot, overlay));
      pods = planPods(objects);
      secrets = await generateSecrets({ namespace: 'parley', hosts: ['example.org'] });
      // The cassandra overlay's Secret is not one kube-local makes (it runs no Cassandra).
      secrets.data.set(
        'parley-cassandra',
        new Map([
          ['password', 'secret'],
          ['ca.crt', 'ca'],
        ]),
      );
      const configMaps = new Map<string, Map<string, string>>();
      for (const o of objects) {
        if (o.kind !== 'ConfigMap') continue;
        const data = (o['data'] ?? {}) as Record<string, string>;
        configMaps.set(o.metadata?.name ?? '', new Map(Object.entries(data)));
      }
      sources = { configMaps, secrets: secrets.data, serviceLinks: {} };
    });

    afterAll(async () => {
      await secrets?.pki.remove();
    });

    it('every container resolves its environment, and every Secret volume its keys', () => {
      for (const pod of pods) {
        for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
          expect(() => resolveEnv(pod, c, sources), `${pod.name} ${c.name}`).not.toThrow();
        }
        for (const v of pod.spec.volumes ?? []) {
          if (!v.secret) continue;
          const entries = secrets.data.get(v.secret.secretName ?? '');
          expect(entries, `${pod.name}: Secret ${v.secret.secretName}`).toBeDefined();
          for (const item of v.secret.items ?? []) {
            expect(entries?.has(item.key), `${v.secret.secretName} key ${item.key}`).toBe(true);
          }
        }
      }
    });

    it('every NATS user a pod names has a password and the permissions of docs/security.md', () => {
      const users = new Set<string>();
      for (const pod of pods) {
        const env = resolveEnv(pod, pod.spec.containers[0]!, sources);
        if (env['PARLEY_BUS_NATS_USER']) users.add(env['PARLEY_BUS_NATS_USER']);
      }
      expect([...users].sort()).toEqual(['admin-api', 'gateway', 'muc', 's2s', 'session-registry']);
      for (const user of users) {
        expect(NATS_PERMISSIONS[user], user).toBeDefined();
        expect(secrets.natsPasswords.get(user), user).toBeDefined();
      }
    });

    it('the s2s workers: two replicas, federation on, listeners on the pod IP, one dialback secret, a Service', () => {
      const s2s = pods.filter((p) => p.workload.name === 's2s');
      expect(s2s.length).toBe(2);
      for (const pod of s2s) {
        const env = resolveEnv(pod, pod.spec.containers[0]!, sources);
        expect(env).toMatchObject({
          PARLEY_S2S_ENABLED: 'true',
          PARLEY_S2S_HOST: pod.ip,
          PARLEY_S2S_PORT: '5269',
          PARLEY_S2S_DIRECT_TLS_PORT: '5270',
          PARLEY_COMPONENTS_HOST: pod.ip,
          PARLEY_COMPONENTS_PORT: '5347',
          PARLEY_BUS_NATS_USER: 's2s',
          PARLEY_S2S_DIALBACK_SECRET_FILE: '/etc/parley/s2s/dialback-secret',
          PARLEY_TLS_CERT_FILE: '/etc/parley/tls/tls.crt',
        });
      }
      // Every process routes stanzas for remote domains to the S2S partitions.
      for (const pod of pods) {
        const env = resolveEnv(pod, pod.spec.containers[0]!, sources);
        expect(env['PARLEY_S2S_ENABLED'], pod.name).toBe('true');
      }
      const service = objects.find((o) => o.kind === 'Service' && o.metadata?.name === 's2s');
      const spec = service?.['spec'] as { type: string; ports: { port: number }[] } | undefined;
      expect(spec?.type).toBe('LoadBalancer');
      expect(spec?.ports.map((p) => p.port)).toEqual([5269, 5270]);
      expect(secrets.data.get('parley-s2s')?.get('dialback-secret')).toBe(secrets.dialbackSecret);
    });

    it('the gateways: one secret for the SCRAM salts of unknown users', () => {
      const gateways = pods.filter((p) => p.name.startsWith('gateway'));
      expect(gateways.length).toBeGreaterThan(0);
      for (const pod of gateways) {
        const env = resolveEnv(pod, pod.spec.containers[0]!, sources);
        expect(env['PARLEY_SASL_FAKE_SALT_SECRET_FILE'], pod.name).toBe(
          '/etc/parley/sasl/fake-salt-secret',
        );
      }
      expect(secrets.fakeSaltSecret.length).toBeGreaterThanOrEqual(32);
      expect(secrets.data.get('parley-sasl')?.get('fake-salt-secret')).toBe(secrets.fakeSaltSecret);
    });
  },
);
