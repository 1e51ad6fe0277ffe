/**
 * The single-host overlay run as written (scripts/test-k8s.sh): the
 * all-in-one server as a StatefulSet with LMDB on its claim, reached
 * through the gateway and admin-api Services; its data survives a killed
 * container (the claim is writable for the pod's user through fsGroup).
 */
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeLocal } from '../src/index.js';
import { adminApi, domainOf, startOverlay } from './harness.js';
import { expectBound, login, waitFor } from './xmpp.js';
import type { XmppClient } from './xmpp.js';

const PASSWORD = 'proof-Secret-1';

describe('kube-local: k8s/overlays/single-host runs as written', () => {
  let kl: KubeLocal;
  let domain: string;
  const clients: XmppClient[] = [];
  const user = async (name: string, port: 'c2s' | 'c2s-tls') => {
    const c = await login({
      service: `${port === 'c2s' ? 'xmpp' : 'xmpps'}://127.0.0.1:${kl.servicePort('gateway', port)}`,
      domain,
      username: name,
      password: PASSWORD,
      resource: port,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    kl = await startOverlay('k8s/overlays/single-host');
    domain = domainOf(kl);
  }, 420_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await kl?.stop();
  }, 180_000);

  it('runs one server pod and no NATS, Redis or database', () => {
    expect(kl.pods.map((p) => p.name)).toEqual(['server-0']);
    expect(kl.links.hosts).toEqual([]);
  });

  it('serves /metrics and the API reference on the ops port (5281), the probes on 5280', async () => {
    const [pod] = kl.podsOf('server');
    const metrics = await fetch(`http://${pod!.ip}:5281/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('parley_');
    expect((await fetch(`http://${pod!.ip}:5280/metrics`)).status).toBe(404);
    expect((await fetch(`http://${pod!.ip}:5280/readyz`)).status).toBe(200);
    expect((await fetch(`http://${pod!.ip}:5281/openapi.json`)).status).toBe(200);
  });

  it('accounts made through the admin API exchange a message through the gateway Service', async () => {
    for (const name of ['carol', 'dave']) {
      const r = await adminApi(kl, 'POST', '/api/users', {
        jid: `${name}@${domain}`,
        password: PASSWORD,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const carol = await user('carol', 'c2s');
    const dave = await user('dave', 'c2s-tls');
    const own = waitFor(
      dave,
      (el) => el.is('presence') && el.attrs.from === dave.jid!.toString(),
      'own presence',
    );
    await dave.send(xml('presence'));
    await own;
    const got = waitFor(
      dave,
      (el) => el.is('message') && el.getChildText('body') === 'hi dave',
      'hi dave',
    );
    await carol.send(
      xml('message', { to: `dave@${domain}`, type: 'chat' }, xml('body', {}, 'hi dave')),
    );
    expect((await got).attrs.from).toBe(carol.jid!.toString());
    await Promise.all([carol.stop(), dave.stop()]);
  });

  it('keeps its accounts on the claim when the container is killed and restarted', async () => {
    const [pod] = kl.podsOf('server');
    await pod!.kill();
    const deadline = Date.now() + 120_000;
    while (pod!.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    while (!pod!.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(pod!.ready).toBe(true);
    const r = await adminApi(kl, 'GET', `/api/users/${encodeURIComponent(`carol@${domain}`)}`);
    expect(r.status).toBe(200);
    const carol = await user('carol', 'c2s');
    expectBound(carol, `carol@${domain}`, 'c2s');
  }, 180_000);
});
