/**
 * Federation in the cluster: two parley-s2s processes (behind one address,
 * as a Kubernetes Service puts them) next to the gateways, registry and MUC
 * workers, federating with Debian's Prosody over dialback. Everything of
 * the single-node scenario works through them; then the S2S worker owning
 * Prosody's partition (its outbound stream) is killed: the other worker
 * takes the partition over and chat goes on both ways.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const PARTITIONS = 16;

describe.skipIf(!canRunFederation('prosody'))(
  'cluster: federation through parley-s2s workers',
  () => {
    const parleyDomain = federationDomain('parley-cluster');
    const peerDomain = federationDomain('prosody-cluster');
    let pki: FederationPki;
    let dns: DnsServer;
    let relay: TcpRelay;
    let cluster: LocalCluster;
    let prosody: XmppPeer;
    let dir: string;

    beforeAll(async () => {
      pki = await createFederationPki({ domains: [parleyDomain, peerDomain] });
      dir = await mkdtemp(join(tmpdir(), 'parley-cluster-fed-'));
      const stores = await openLmdbStores(join(dir, 'db'));
      await stores.accounts.create(await newAccount(`juliet@${parleyDomain}`, 'j-secret', 4096));
      await stores.close();
      // Remote servers reach the S2S workers through one address (the Service); it starts
      // in front of a port that is not listening yet and is pointed at a worker below.
      relay = await TcpRelay.start(1);
      const peerPorts = await reserveXmppPorts();
      dns = await startDnsServer({
        records: [
          ...xmppDnsRecords(parleyDomain, {
            s2sPort: relay.port,
            subdomains: [`conference.${parleyDomain}`],
          }),
          ...xmppDnsRecords(peerDomain, peerPorts),
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
      await prosody?.stop();
      await cluster?.stop();
      await relay?.close();
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

    it('the worker owning the remote domain dies: the other takes its partition and chat goes on', async () => {
      const redis = connectRedis(cluster.redisUrl, 'federation-test');
      let owner: ClusterProcess | undefined;
      try {
        const holder = await redis.get(`parley:lease:s2s:${partitionOf(peerDomain, PARTITIONS)}`);
        owner = cluster.s2ss.find((p) => p.name === holder);
      } finally {
        redis.disconnect();
      }
      expect(owner, 'one S2S worker holds the lease of the remote domain').toBeDefined();
      const survivor = cluster.s2ss.find((p) => p !== owner)!;
      // As a Service drops the endpoint of a dead pod.
      relay.target = survivor.s2sPort!;
      process.kill(owner!.proc.pid, 'SIGKILL');
      await vi.waitFor(() => expect(owner!.proc.exited).toBe(true), { timeout: 10_000 });
      const result = await scenario(['chat']);
      expect(result, JSON.stringify(result)).toMatchObject({
        ok: true,
        chat: {
          received_from: `juliet@${parleyDomain}/desk`,
          reply_from: `romeo@${peerDomain}/phone`,
        },
      });
    }, 120_000);
  },
);
