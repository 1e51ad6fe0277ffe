/**
 * The proof that the manifests and the image run as written (scripts/test-k8s.sh):
 * the postgres overlay (KUBE_LOCAL_OVERLAY to pick another) rendered,
 * validated and run by kube-local with Docker, then driven as a client
 * would: an account made through the admin API's Service logs in through
 * every gateway replica, users on different replicas exchange messages,
 * presence and a MUC message, and a session-registry container killed
 * mid-stream loses nothing. The NATS the pods use refuses a client without
 * credentials. The s2s workers answer a remote server's stream header with
 * STARTTLS on 5269 and present the certificate of parley-tls on 5270, on
 * each pod and through the Service s2s; the Service components reaches the
 * XEP-0114 listener.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeLocal } from '../src/index.js';
import { adminApi, domainOf, startOverlay } from './harness.js';
import { STARTTLS_FEATURE, openStream, serverStreamHeader } from './s2s.js';
import { expectBound, login, waitFor } from './xmpp.js';
import type { XmppClient } from './xmpp.js';

const overlay = process.env['KUBE_LOCAL_OVERLAY'] ?? 'k8s/overlays/postgres';
const PASSWORD = 'proof-Secret-1';

describe(`kube-local: ${overlay} runs as written`, () => {
  let kl: KubeLocal;
  let domain: string;
  const clients: XmppClient[] = [];

  const api = (method: string, path: string, body?: unknown) => adminApi(kl, method, path, body);
  const gateways = () => kl.podsOf('gateway');
  const on = async (gateway: number, username: string, resource: string) => {
    const c = await login({
      service: `xmpp://${gateways()[gateway]!.ip}:5222`,
      domain,
      username,
      password: PASSWORD,
      resource,
    });
    clients.push(c);
    return c;
  };
  const register = async (user: string) => {
    const r = await api('POST', '/api/users', { jid: `${user}@${domain}`, password: PASSWORD });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };
  /** Available presence, acknowledged by its reflection to the sender. */
  const online = async (c: XmppClient, full: string) => {
    const own = waitFor(c, (el) => el.is('presence') && el.attrs.from === full, 'own presence');
    await c.send(xml('presence'));
    await own;
  };

  beforeAll(async () => {
    kl = await startOverlay(overlay);
    domain = domainOf(kl);
  }, 420_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await kl?.stop();
  }, 180_000);

  it('runs every replica the manifests ask for, as non-root with a read-only root file system', () => {
    expect(gateways().length).toBeGreaterThanOrEqual(2);
    expect(kl.podsOf('session-registry').length).toBeGreaterThanOrEqual(2);
    expect(kl.podsOf('s2s').length).toBeGreaterThanOrEqual(2);
    for (const p of kl.pods) expect(p.ready, p.name).toBe(true);
    // As Docker runs them: the user of the securityContext, read-only root, host network.
    const names = kl.pods.map((p) => p.name);
    const out = execFileSync('docker', [
      'inspect',
      '--format',
      '{{.Name}} {{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.NetworkMode}}',
      ...names,
    ]).toString();
    expect(out.trim().split('\n').sort()).toEqual(
      names.map((n) => `/${n} 1000:1000 true host`).sort(),
    );
  });

  it('the s2s workers are ready and answer a remote server: STARTTLS on 5269, the certificate of parley-tls on 5270', async () => {
    const header = serverStreamHeader(domain);
    const s2s = kl.podsOf('s2s');
    for (const pod of s2s) {
      const ready = await fetch(`http://${pod.ip}:5280/readyz`);
      expect(ready.status, `${pod.name} /readyz: ${await ready.text()}`).toBe(200);
      // On the pod IP, as the Service's endpoints are.
      const answer = await openStream({ host: pod.ip, port: 5269, header });
      console.log(`[proof] ${pod.name} (${pod.ip}:5269) answered: ${answer.text}`);
      expect(answer.text).toMatch(/<stream:stream[^>]*xmlns=(['"])jabber:server\1/);
      expect(answer.text).toMatch(STARTTLS_FEATURE);
    }
    // Through the Service s2s (the load balancer's port), both ports.
    const viaService = await openStream({
      host: '127.0.0.1',
      port: kl.servicePort('s2s', 's2s'),
      header,
    });
    expect(viaService.text).toMatch(STARTTLS_FEATURE);
    const direct = await openStream({
      host: '127.0.0.1',
      port: kl.servicePort('s2s', 's2s-tls'),
      header,
      tls: { ca: readFileSync(kl.secrets.pki.caFile, 'utf8'), servername: domain },
    });
    // Verified against the generated CA for the served domain: the mounted parley-tls.
    expect(direct.certificate?.fingerprint256).toBe(
      new X509Certificate(kl.secrets.data.get('parley-tls')!.get('tls.crt')!).fingerprint256,
    );
    expect(direct.text).toContain('<stream:features');
    expect(direct.text).not.toMatch(STARTTLS_FEATURE);
    // External components: the listener answers through the Service
    // components; no component is configured, so the domain is refused.
    const component = await openStream({
      host: '127.0.0.1',
      port: kl.servicePort('components', 'component'),
      header:
        "<stream:stream xmlns='jabber:component:accept' " +
        `xmlns:stream='http://etherx.jabber.org/streams' to='bot.${domain}'>`,
    });
    expect(component.text).toContain('host-unknown');
  });

  it('every process serves /metrics on the ops port (5281) that Prometheus scrapes, not on the probe port', async () => {
    for (const name of ['gateway', 'session-registry', 'muc', 's2s', 'admin-api']) {
      for (const pod of kl.podsOf(name)) {
        // As the manifests say: no token on the ops port (parley-ops admits only monitoring).
        const metrics = await fetch(`http://${pod.ip}:5281/metrics`);
        expect(metrics.status, `${pod.name} ops port /metrics`).toBe(200);
        expect(await metrics.text()).toContain('parley_');
        expect((await fetch(`http://${pod.ip}:5280/metrics`)).status, pod.name).toBe(404);
        expect((await fetch(`http://${pod.ip}:5280/readyz`)).status, pod.name).toBe(200);
      }
    }
    // The admin API's reference moved with it; the API itself stays on 5285.
    const api = kl.podsOf('admin-api')[0]!;
    expect((await fetch(`http://${api.ip}:5281/openapi.json`)).status).toBe(200);
    expect((await fetch(`http://${api.ip}:5285/openapi.json`)).status).toBe(404);
  });

  it('NATS, as the pods reach it, refuses a client without credentials', async () => {
    const nats = kl.links.plan.nats!;
    const servers = `${nats.ip}:${nats.port}`;
    // TLS verified against the generated CA; no user, no password.
    await expect(
      connect({ servers, tls: { caFile: kl.secrets.pki.caFile }, reconnect: false, timeout: 5000 }),
    ).rejects.toThrow(/Authorization Violation/i);
    // Nor without TLS, nor with another service's user and a wrong password.
    await expect(connect({ servers, reconnect: false, timeout: 5000 })).rejects.toThrow();
    await expect(
      connect({
        servers,
        tls: { caFile: kl.secrets.pki.caFile },
        user: 'gateway',
        pass: 'not-the-password',
        reconnect: false,
        timeout: 5000,
      }),
    ).rejects.toThrow(/Authorization Violation/i);
  });

  it('an account created through the admin API logs in through each gateway replica and the Service', async () => {
    await register('alice');
    for (const [i, gw] of gateways().entries()) {
      const c = await on(i, 'alice', `login-${i}`);
      expectBound(c, `alice@${domain}`, `login-${i}`);
      console.log(`[proof] alice logged in on ${gw.name} (${gw.ip})`);
      await c.stop();
    }
    for (const [port, scheme] of [
      ['c2s', 'xmpp'],
      ['c2s-tls', 'xmpps'],
    ] as const) {
      const c = await login({
        service: `${scheme}://127.0.0.1:${kl.servicePort('gateway', port)}`,
        domain,
        username: 'alice',
        password: PASSWORD,
        resource: `svc-${port}`,
      });
      expectBound(c, `alice@${domain}`, `svc-${port}`);
      await c.stop();
    }
  });

  it('users on different gateway replicas exchange messages, presence and a MUC message', async () => {
    await register('bob');
    const alice = await on(0, 'alice', 'a');
    const bob = await on(1, 'bob', 'b');
    // Interested and available resources (roster fetched, initial presence),
    // subscriptions both ways (RFC 6121 3.1), then presence flows.
    const aJid = `alice@${domain}`;
    const bJid = `bob@${domain}`;
    const ROSTER = 'jabber:iq:roster';
    // @xmpp/client binds through SASL2/Bind2: the server generates the
    // resource from the client's tag (`a/<id>`), so the full JIDs are read back.
    const aFull = alice.jid!.toString();
    const bFull = bob.jid!.toString();
    for (const [c, full] of [
      [alice, aFull],
      [bob, bFull],
    ] as const) {
      await c.iqCaller.get(xml('query', { xmlns: ROSTER }));
      await online(c, full);
    }
    const presenceFrom = (c: XmppClient, from: string, what: string, show?: string) =>
      waitFor(
        c,
        (el) =>
          el.is('presence') &&
          el.attrs.from === from &&
          !el.attrs.type &&
          (show === undefined || el.getChildText('show') === show),
        what,
      );
    const subscribe = async (from: XmppClient, fromJid: string, to: XmppClient, toFull: string) => {
      const asked = waitFor(
        to,
        (el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === fromJid,
        `subscribe from ${fromJid}`,
      );
      await from.send(xml('presence', { to: toFull.split('/')[0], type: 'subscribe' }));
      await asked;
      const contactPresence = presenceFrom(from, toFull, `presence of ${toFull} after approval`);
      await to.send(xml('presence', { to: fromJid, type: 'subscribed' }));
      await contactPresence;
    };
    await subscribe(alice, aJid, bob, bFull);
    await subscribe(bob, bJid, alice, aFull);
    const away = presenceFrom(bob, aFull, "alice's broadcast presence", 'away');
    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    await away;

    const got = waitFor(
      bob,
      (el) => el.is('message') && el.getChildText('body') === 'hello bob',
      'hello bob',
    );
    await alice.send(xml('message', { to: bJid, type: 'chat' }, xml('body', {}, 'hello bob')));
    expect((await got).attrs.from).toBe(aFull);
    const back = waitFor(
      alice,
      (el) => el.is('message') && el.getChildText('body') === 'hi alice',
      'hi alice',
    );
    await bob.send(xml('message', { to: aFull, type: 'chat' }, xml('body', {}, 'hi alice')));
    expect((await back).attrs.from).toBe(bFull);

    const room = `proof@conference.${domain}`;
    const MUC = 'http://jabber.org/protocol/muc';
    const joined = (c: XmppClient, nick: string) =>
      waitFor(
        c,
        (el) => el.is('presence') && el.attrs.from === `${room}/${nick}`,
        `join as ${nick}`,
      );
    const aliceIn = joined(alice, 'alice');
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: MUC })));
    await aliceIn;
    // A new room is locked until configured: accept the default configuration.
    await alice.iqCaller.set(
      xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })),
      room,
    );
    const bobIn = joined(bob, 'bob');
    await bob.send(xml('presence', { to: `${room}/bob` }, xml('x', { xmlns: MUC })));
    await bobIn;
    const groupchat = waitFor(
      bob,
      (el) => el.is('message') && el.getChildText('body') === 'hello room',
      'hello room',
    );
    await alice.send(
      xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'hello room')),
    );
    expect((await groupchat).attrs.from).toBe(`${room}/alice`);
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it('killing a session-registry container loses no message sent before, during or after', async () => {
    const receivers = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    await register('sender');
    for (const r of receivers) await register(r);
    const sender = await on(0, 'sender', 's');
    const got = new Map<string, string[]>();
    const inboxes = await Promise.all(
      receivers.map(async (r) => {
        const c = await on(1, r, 'r');
        got.set(r, []);
        c.on('stanza', (el: Element) => {
          const body = el.is('message') ? el.getChildText('body') : null;
          if (body?.startsWith('n')) got.get(r)!.push(body);
        });
        await online(c, c.jid!.toString());
        return c;
      }),
    );
    expect(inboxes.length).toBe(receivers.length);
    const sent = new Map<string, string[]>(receivers.map((r) => [r, []]));
    let n = 0;
    const burst = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const r = receivers[n % receivers.length]!;
        const body = `n${n++}`;
        sent.get(r)!.push(body);
        await sender.send(
          xml('message', { to: `${r}@${domain}`, type: 'chat' }, xml('body', {}, body)),
        );
        await new Promise((res) => setTimeout(res, 25));
      }
    };
    // Distinct bodies: a duplicate must not make the last message look delivered.
    const total = () => [...got.values()].reduce((a, l) => a + new Set(l).size, 0);
    const allDelivered = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (total() < n && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    };

    await burst(60); // before
    await allDelivered(20_000);
    // Each registry in turn, so that whichever owned the receivers' and the
    // sender's partitions died once with messages in flight.
    const until = async (cond: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!cond() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    };
    for (const victim of kl.podsOf('session-registry')) {
      console.log(`[proof] docker kill ${victim.name} (${n} sent so far)`);
      const killed = victim.kill();
      await burst(120); // during the kill and the takeover of its partitions
      await killed;
      await allDelivered(60_000);
      // The kubelet restarts the container (restartPolicy Always).
      await until(() => !victim.ready, 10_000);
      await until(() => victim.ready, 120_000);
      expect(victim.ready, `${victim.name} came back`).toBe(true);
      expect(
        victim.statuses().find((s) => s.name === 'session-registry')!.restarts,
      ).toBeGreaterThanOrEqual(1);
      await burst(60); // after
      await allDelivered(60_000);
    }

    // Every message delivered, in the order sent (RFC 6120 per-pair order).
    // A message whose worker died before acknowledging it is redelivered
    // (at least once, docs/architecture.md): duplicates are counted, not lost.
    let duplicates = 0;
    for (const r of receivers) {
      const seen = new Set<string>();
      const firsts = got.get(r)!.filter((b) => (seen.has(b) ? (duplicates++, false) : seen.add(b)));
      expect(firsts, r).toEqual(sent.get(r));
    }
    console.log(`[proof] sent ${n}, all delivered; ${duplicates} duplicate(s) after the kill`);
    expect(n).toBe(60 + 180 * kl.podsOf('session-registry').length);
  }, 420_000);
});
