import { describe, expect, it } from 'vitest';
import { expand, parseManifests, planPods, resolveEnv } from '../src/index.js';
import type { EnvSources } from '../src/index.js';

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ns }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: parley:latest
          envFrom: [{ configMapRef: { name: cfg }, prefix: C_ }]
          env:
            - { name: POD, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
            - { name: IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
            - { name: URL, value: 'http://$(IP):80/$(NOPE)/$$(IP)' }
            - { name: PW, valueFrom: { secretKeyRef: { name: s, key: pw } } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: ns }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 3
  maxReplicas: 5
`;

describe('plan', () => {
  const objects = parseManifests(manifests, 'test');
  const sources: EnvSources = {
    configMaps: new Map([['cfg', new Map([['A', '1']])]]),
    secrets: new Map([['s', new Map([['pw', 'secret']])]]),
    serviceLinks: {},
  };

  it('raises replicas to the HPA minimum and gives each pod its own loopback IP', () => {
    const pods = planPods(objects);
    expect(pods.map((p) => p.ip)).toEqual(['127.0.10.1', '127.0.10.2', '127.0.10.3']);
    expect(pods[0]!.name).toMatch(/^web-[a-z]{10}-[a-z0-9]{5}$/);
  });

  it('resolves envFrom, the downward API, Secret keys and $(VAR) as the kubelet does', () => {
    const pod = planPods(objects)[0]!;
    const env = resolveEnv(pod, pod.spec.containers[0]!, sources);
    expect(env).toEqual({
      C_A: '1',
      POD: pod.name,
      IP: '127.0.10.1',
      URL: 'http://127.0.10.1:80/$(NOPE)/$(IP)',
      PW: 'secret',
    });
  });

  it('refuses a missing Secret key', () => {
    const pod = planPods(objects)[0]!;
    const none: EnvSources = { ...sources, secrets: new Map([['s', new Map()]]) };
    expect(() => resolveEnv(pod, pod.spec.containers[0]!, none)).toThrow(/s has no key pw/);
  });

  it('expands only defined names', () => {
    expect(expand('$(A)-$(B)-$$', { A: 'x' })).toBe('x-$(B)-$');
  });
});

describe('validateManifests', () => {
  it('finds schema violations and unknown kinds', async () => {
    const { validateManifests } = await import('../src/index.js');
    const bad = parseManifests(
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: x }
spec: { replicas: two, selector: {}, template: { spec: { containers: [] } } }
---
apiVersion: apps/v2
kind: Deployment
metadata: { name: y }
`,
      'test',
    );
    const problems = await validateManifests(bad);
    expect(problems.map((p) => p.object)).toEqual(['Deployment/x', 'Deployment/y']);
    expect(problems[0]!.message).toMatch(/replicas must be integer/);
    expect(problems[1]!.message).toMatch(/no schema for apps\/v2 Deployment/);
  });
});

describe('Pod', () => {
  it('refuses a container field it does not handle (a typo would otherwise be ignored)', async () => {
    const { Pod } = await import('../src/index.js');
    const [plan] = planPods(
      parseManifests(
        `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: parley:latest
          readinesProbe: { tcpSocket: { port: 80 } }
`,
        'test',
      ),
    );
    const ctx = {
      image: 'parley:latest',
      imageUser: '1000:1000',
      sources: { configMaps: new Map(), secrets: new Map(), serviceLinks: {} },
      hosts: [],
      stateDir: '/nonexistent',
      logDir: '/nonexistent',
      restartBackoffMs: 10_000,
      initRetries: 0,
      log: () => {},
    };
    expect(() => new Pod(plan!, ctx)).toThrow(/field readinesProbe is not handled/);
  });
});

describe('RoundRobinRelay', () => {
  it('alternates between endpoints and skips one that refuses', async () => {
    const { createServer, connect } = await import('node:net');
    const { RoundRobinRelay } = await import('../src/index.js');
    const servers = await Promise.all(
      ['a', 'b'].map(
        (name) =>
          new Promise<{ port: number; close: () => void }>((resolve) => {
            const s = createServer((sock) => sock.end(name));
            s.listen(0, '127.0.0.1', () =>
              resolve({ port: (s.address() as { port: number }).port, close: () => s.close() }),
            );
          }),
      ),
    );
    const dead = { host: '127.0.0.1', port: 1 }; // refused
    const relay = await RoundRobinRelay.start('127.0.0.1', 0, () => [
      { host: '127.0.0.1', port: servers[0]!.port },
      dead,
      { host: '127.0.0.1', port: servers[1]!.port },
    ]);
    const read = () =>
      new Promise<string>((resolve) => {
        let data = '';
        connect(relay.port, '127.0.0.1')
          .on('data', (d) => (data += d.toString()))
          .on('close', () => resolve(data));
      });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await read());
    expect(answers).toEqual(['a', 'b', 'a', 'b']);
    await relay.close();
    for (const s of servers) s.close();
  });
});
