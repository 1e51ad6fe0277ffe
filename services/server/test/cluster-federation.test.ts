/**
 * Federation in the cluster: two parley-s2s processes (behind one address,
 * as a Kubernetes Service puts them) next to the gateways, registry and MUC
 * workers, federating with Debian's Prosody over dialback. Everything of
 * the single-node scenario works through them. Then, while the worker
 * owning Prosody's partition is still setting up a connection (Prosody's
 * address answers nothing), it is killed with stanzas queued: the other
 * worker takes the partition over with the queue and delivers it, in order,
 * and chat goes on both ways. Last, an external component (XEP-0114,
 * slixmpp) connected to one worker gets the messages a user sends it
 * whichever worker owns its domain's partition.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { connectRedis } from '@parley/cluster';
import { partitionOf } from '@parley/routing';
import { openLmdbStores } from '@parley/store';
import {
  TcpRelay,
  createFederationPki,
  federationDomain,
  reserveXmppPorts,
  startDnsServer,
  startProsody,
  xmppDnsRecords,
} from '@parley/testkit';
import type { DnsServer, FederationPki, XmppPeer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalCluster } from '../src/local-cluster.js';
import type { ClusterProcess, LocalCluster } from '../src/local-cluster.js';
import { newAccount } from '../src/users.js';
import { canRunFederation, runFederationScenario } from './federation-helpers.js';
import { haveSlixmppComponent, killComponent, startComponent } from './component-helpers.js';
import type { Component } from './component-helpers.js';
import { collect, connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const PARTITIONS = 16;
const parleyDomain = federationDomain('parley-cluster');
const peerDomain = federationDomain('prosody-cluster');
const echoDomain = `echo.${parleyDomain}`;
const ECHO_SECRET = 'cluster-echo-secret';

const chat = (to: string, body: string) =>
  xml('message', { to, type: 'chat' }, xml('body', {}, body));

describe.skipIf(!canRunFederation('prosody'))('cluster: federation via parley-s2s', () => {
  let pki: FederationPki;
  let dns: DnsServer;
  /** The address remote servers reach the S2S workers at (a Service). */
  let relay: TcpRelay;
  /** In front of Prosody's s2s port: lets the test make Prosody unreachable. */
  let peerRelay: TcpRelay;
  /** Accepts TCP connections and never answers (a server that hangs). */
  let silent: Server;
  let cluster: LocalCluster;
  let prosody: XmppPeer;
  let dir: string;
  const clients: XmppClient[] = [];
  const components: Component[] = [];

  beforeAll(async () => {
    pki = await createFederationPki({ domains: [parleyDomain, peerDomain] });
    dir = await mkdtemp(join(tmpdir(), 'parley-cluster-fed-'));
    const stores = await openLmdbStores(join(dir, 'db'));
    await stores.accounts.create(await newAccount(`juliet@${parleyDomain}`, 'j-secret', 4096));
    await stores.close();
    // Pointed at a worker once the workers run.
    relay = await TcpRelay.start(1);
    const peerPorts = await reserveXmppPorts();
    peerRelay = await TcpRelay.start(peerPorts.s2sPort);
    // Reads (and ignores) everything, so a socket closed by its peer ends here too.
    silent = createServer((socket) => socket.on('error', () => undefined).resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    dns = await startDnsServer({
      records: [
        ...xmppDnsRecords(parleyDomain, {
          s2sPort: relay.port,
          subdomains: [`conference.${parleyDomain}`],
        }),
        ...xmppDnsRecords(peerDomain, { s2sPort: peerRelay.port }),
      ],
    });
    const own = pki.cert(parleyDomain);
    cluster = await startLocalCluster({
      dataDir: dir,
      fromSource: true,
      logLevel: 'warn',
      partitions: PARTITIONS,
      domains: [parleyDomain],
      s2ss: 2,
      env: {
        PARLEY_TLS_CERT_FILE: own.certFile,
        PARLEY_TLS_KEY_FILE: own.keyFile,
        PARLEY_S2S_ENABLED: 'true',
        PARLEY_S2S_PARTITIONS: String(PARTITIONS),
        PARLEY_S2S_RESOLVERS: dns.host,
        PARLEY_S2S_DIALBACK_SECRET: 'the-same-on-every-s2s-node',
        PARLEY_COMPONENTS_LIST: `${echoDomain}=${ECHO_SECRET}`,
      },
    });
    relay.target = cluster.s2ss[0]!.s2sPort!;
    prosody = await startProsody({
      domain: peerDomain,
      dns,
      ...peerPorts,
      tls: { ...pki.cert(peerDomain), caFile: pki.caFile },
      users: [{ user: 'romeo', password: 'r-secret' }],
      s2sAuth: 'dialback',
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of components) await killComponent(c);
    await Promise.allSettled(clients.map((c) => c.stop()));
    await prosody?.stop();
    await cluster?.stop();
    await relay?.close();
    await peerRelay?.close();
    await new Promise((resolve) => silent?.close(resolve));
    await dns?.stop();
    await pki?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const scenario = (steps: string[]) =>
    runFederationScenario({
      ca: pki.caFile,
      local: {
        jid: `juliet@${parleyDomain}/desk`,
        password: 'j-secret',
        port: cluster.gateways[0]!.c2sPort,
      },
      remote: { jid: `romeo@${peerDomain}/phone`, password: 'r-secret', port: prosody.c2sPort },
      room: `verona@conference.${parleyDomain}`,
      steps,
      timeout: 25,
    });

  it('subscription, presence, chat, version and a room across the cluster', async () => {
    const result = await scenario(['subscribe', 'presence', 'chat', 'version', 'muc']);
    expect(result, JSON.stringify(result)).toMatchObject({
      ok: true,
      subscribe: { local: 'both', remote: 'both' },
      version: { local_server: 'Parley' },
      muc: { remote_role: 'participant' },
    });
  }, 120_000);

  it('the worker owning the remote domain dies while connecting: its queue moves with the partition', async () => {
    const romeo = await connect({
      port: prosody.c2sPort,
      domain: peerDomain,
      username: 'romeo',
      password: 'r-secret',
      resource: 'tablet',
    });
    clients.push(romeo);
    const got = collect(romeo);
    await romeo.send(xml('presence'));
    const juliet = await connect({
      port: cluster.gateways[1]!.c2sPort!,
      domain: parleyDomain,
      username: 'juliet',
      password: 'j-secret',
      resource: 'phone',
    });
    clients.push(juliet);

    // Prosody's address now hangs, and the streams to it are gone.
    peerRelay.target = (silent.address() as AddressInfo).port;
    peerRelay.cut();
    const partition = partitionOf(peerDomain, PARTITIONS);
    const pending = `parley:s2s:pending:${partition}`;
    const redis = connectRedis(cluster.redisUrl, 'federation-test');
    try {
      const holder = await redis.get(`parley:lease:s2s:${partition}`);
      // Worker ids are the process name and a suffix drawn at each start.
      const owner: ClusterProcess | undefined = cluster.s2ss.find((p) =>
        holder?.startsWith(`${p.name}-`),
      );
      expect(owner, 'one S2S worker holds the lease of the remote domain').toBeDefined();
      const queued = ['queued-1', 'queued-2', 'queued-3'];
      for (const body of queued) await juliet.send(chat(`romeo@${peerDomain}`, body));
      // The owner keeps them while it waits for the connection.
      await vi.waitFor(async () => expect(await redis.hlen(pending)).toBe(3), {
        timeout: 10_000,
        interval: 50,
      });
      const survivor = cluster.s2ss.find((p) => p !== owner)!;
      process.kill(owner!.proc.pid, 'SIGKILL');
      await vi.waitFor(() => expect(owner!.proc.exited).toBe(true), { timeout: 10_000 });
      // Prosody is back, and the Service sends remote servers to the survivor.
      peerRelay.target = prosody.s2sPort;
      relay.target = survivor.s2sPort!;
      await juliet.send(chat(`romeo@${peerDomain}`, 'after'));
      const bodies = () =>
        got.stanzas
          .filter((el) => el.is('message') && el.attrs.type !== 'error')
          .map((el) => el.getChildText('body'));
      await vi.waitFor(() => expect(bodies()).toEqual([...queued, 'after']), {
        timeout: 30_000,
        interval: 100,
      });
      expect(await redis.hlen(pending)).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 120_000);

  it('after the failover, chat and version queries run through the surviving worker', async () => {
    const result = await scenario(['chat', 'version']);
    expect(result, JSON.stringify(result)).toMatchObject({
      ok: true,
      chat: {
        received_from: `juliet@${parleyDomain}/desk`,
        reply_from: `romeo@${peerDomain}/phone`,
      },
      version: { local_server: 'Parley' },
    });
  }, 120_000);

  it.skipIf(!haveSlixmppComponent)(
    'a component connected to one worker gets messages whichever worker owns its partition',
    async () => {
      // A third worker joins; once the partitions are spread over the two live ones, the
      // component connects to the worker that does NOT own its domain's partition, so the
      // owner must hand its stanzas over the bus.
      await cluster.spawn('s2s', 's2s-3');
      const live = cluster.s2ss.filter((p) => !p.proc.exited);
      const redis = connectRedis(cluster.redisUrl, 'federation-test');
      let other: ClusterProcess | undefined;
      try {
        await vi.waitFor(
          async () => {
            const holders = await redis.mget(
              Array.from({ length: PARTITIONS }, (_, p) => `parley:lease:s2s:${p}`),
            );
            for (const w of live)
              expect(holders.some((h) => h?.startsWith(`${w.name}-`))).toBe(true);
          },
          { timeout: 20_000, interval: 100 },
        );
        const holder = await redis.get(`parley:lease:s2s:${partitionOf(echoDomain, PARTITIONS)}`);
        other = live.find((w) => !holder?.startsWith(`${w.name}-`));
      } finally {
        redis.disconnect();
      }
      expect(other, 'a live worker not owning the component partition').toBeDefined();
      const component = startComponent(other!.componentPort!, echoDomain, ECHO_SECRET);
      components.push(component);
      await vi.waitFor(() => expect(component.lines).toContainEqual({ event: 'ready' }), {
        timeout: 20_000,
        interval: 50,
      });
      const juliet = await connect({
        port: cluster.gateways[0]!.c2sPort!,
        domain: parleyDomain,
        username: 'juliet',
        password: 'j-secret',
        resource: 'bot-chat',
      });
      clients.push(juliet);
      const echo = waitFor(
        juliet,
        (el) => el.is('message') && el.getChildText('body') === 'echo: across the cluster',
        20_000,
      );
      await juliet.send(chat(`bot@${echoDomain}`, 'across the cluster'));
      expect((await echo).attrs.from).toBe(`bot@${echoDomain}`);
    },
    60_000,
  );
});
