/**
 * Federation test bed: the test kit's DNS server (dnsmasq), a federation
 * PKI, the all-in-one Parley server with s2s on, and a Debian Prosody or
 * ejabberd as the other server, every name resolved through that DNS.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { createLogger } from '@parley/telemetry';
import {
  createFederationPki,
  federationDomain,
  freePort,
  hasBinary,
  reserveXmppPorts,
  startDnsServer,
  startEjabberd,
  startProsody,
  xmppDnsRecords,
  hasPythonModule,
} from '@parley/testkit';
import type {
  DnsRecord,
  DnsServer,
  FederationCert,
  FederationPki,
  S2sAuth,
  XmppPeer,
} from '@parley/testkit';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { newAccount } from '../src/users.js';
import { PYTHON } from './slixmpp-runner.js';

const run = promisify(execFile);
const SCENARIO = fileURLToPath(new URL('./interop/federation_scenario.py', import.meta.url));

export type PeerKind = 'prosody' | 'ejabberd';

/** Root (dnsmasq binds port 53), the peers, dnsmasq, openssl and slixmpp are here. */
export function canRunFederation(kind: PeerKind): boolean {
  const peer = kind === 'prosody' ? ['prosody', 'prosodyctl'] : ['erl', 'ejabberdctl', 'unshare'];
  return (
    process.getuid?.() === 0 &&
    [...peer, 'dnsmasq', 'openssl'].every((b) => hasBinary(b)) &&
    hasPythonModule('slixmpp')
  );
}

export interface FederationBed {
  pki: FederationPki;
  dns: DnsServer;
  parley: RunningServer;
  parleyDomain: string;
  peer: XmppPeer;
  /** Parley's c2s port. */
  c2sPort: number;
  addParleyUser(local: string, password?: string): Promise<string>;
  /**
   * Another Parley server for the same domain (own data directory, c2s and
   * s2s ports; `overrides` on top of the bed's configuration), stopped with
   * the bed. DNS publishes it only if the bed was started with its s2s port
   * as `parleyDnsS2sPort`.
   */
  startAnotherParley(overrides: DeepPartial<Config>): Promise<RunningServer>;
  stop(): Promise<void>;
}

/** Which certificate of the federation PKI a server presents (negative cases). */
export type BedCertificate = 'own' | 'untrusted' | 'wrongDomain';

export interface FederationBedOptions {
  kind: PeerKind;
  /** How the two servers authenticate each other. */
  auth: Extract<S2sAuth, 'dialback' | 'certificates'>;
  /** A label making the domains unique per test file. */
  label: string;
  peerUsers: { user: string; password: string }[];
  parley?: DeepPartial<Config>;
  /** The certificate Parley presents (default: its own). */
  parleyCert?: BedCertificate;
  /** The certificate the peer presents (default: its own). */
  peerCert?: BedCertificate;
  /** How the peer authenticates servers (default: `auth`). */
  peerAuth?: S2sAuth;
  /** The s2s port DNS gives for Parley's domain (default: the bed's Parley's), e.g. another Parley's. */
  parleyDnsS2sPort?: number;
  /** More DNS records, e.g. for a domain whose server misbehaves. */
  extraDnsRecords?: DnsRecord[];
}

function pick(
  pki: FederationPki,
  domain: string,
  which: BedCertificate | undefined,
): FederationCert {
  if (which === 'untrusted') return pki.untrusted;
  if (which === 'wrongDomain') return pki.wrongDomain;
  return pki.cert(domain);
}

export async function startFederationBed(opts: FederationBedOptions): Promise<FederationBed> {
  const parleyDomain = federationDomain(`parley-${opts.label}`);
  const peerDomain = federationDomain(`${opts.kind}-${opts.label}`);
  const pki = await createFederationPki({ domains: [parleyDomain, peerDomain] });
  const parleyS2s = await freePort();
  const peerPorts = await reserveXmppPorts();
  const dns = await startDnsServer({
    records: [
      ...xmppDnsRecords(parleyDomain, {
        s2sPort: opts.parleyDnsS2sPort ?? parleyS2s,
        subdomains: [`conference.${parleyDomain}`],
      }),
      ...xmppDnsRecords(peerDomain, { ...peerPorts, subdomains: [`conference.${peerDomain}`] }),
      ...(opts.extraDnsRecords ?? []),
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'parley-fed-'));
  const own = pick(pki, parleyDomain, opts.parleyCert);
  const certificates = opts.auth === 'certificates';
  const configFor = (
    dataDir: string,
    nodeId: string,
    s2sPort: number,
    more: DeepPartial<Config> = {},
  ): Config =>
    loadConfig({
      env: {},
      overrides: {
        ...opts.parley,
        ...more,
        server: { domains: [parleyDomain], dataDir, nodeId },
        c2s: { port: 0, directTlsPort: 0, host: '127.0.0.1', authFailureDelayMs: 10 },
        http: { port: 0 },
        // ejabberd 23.01 crashes on a peer certificate with an XmppAddr (see the test kit's PKI).
        tls: {
          certFile: opts.kind === 'ejabberd' ? own.dnsOnlyCertFile : own.certFile,
          keyFile: own.keyFile,
        },
        s2s: {
          enabled: true,
          host: '127.0.0.1',
          port: s2sPort,
          resolvers: [dns.host],
          // Dialback runs: the test CA is not trusted, so no certificate authenticates a peer.
          ...(certificates && { trustStoreFile: pki.caFile, secureAuth: true }),
          ...opts.parley?.s2s,
          ...more.s2s,
        },
        log: { level: process.env['PARLEY_TEST_LOG'] ? 'debug' : 'warn' },
      },
    });
  const config = configFor(dir, 'fed', parleyS2s);
  const logger = createLogger({
    service: 'fed',
    level: config.log.level,
    sink: process.env['PARLEY_TEST_LOG'] ? (l) => process.stderr.write(l) : () => {},
  });
  const others: { server: RunningServer; dir: string }[] = [];
  let parley: RunningServer | undefined;
  let peer: XmppPeer | undefined;
  try {
    parley = await startServer(config, { logger });
    const start = opts.kind === 'prosody' ? startProsody : startEjabberd;
    peer = await start({
      domain: peerDomain,
      dns,
      ...peerPorts,
      tls: {
        certFile: pick(pki, peerDomain, opts.peerCert).certFile,
        keyFile: pick(pki, peerDomain, opts.peerCert).keyFile,
        caFile: pki.caFile,
      },
      users: opts.peerUsers,
      s2sAuth: opts.peerAuth ?? opts.auth,
      muc: true,
    });
  } catch (err) {
    await parley?.close();
    await dns.stop();
    await pki.remove();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const server = parley;
  const other = peer;
  return {
    pki,
    dns,
    parley: server,
    parleyDomain,
    peer: other,
    c2sPort: server.gateway.ports.c2s,
    async addParleyUser(local, password = 'secret') {
      const jid = `${local}@${parleyDomain}`;
      await server.stores.accounts.create(await newAccount(jid, password, 4096));
      return jid;
    },
    async startAnotherParley(overrides) {
      const otherDir = await mkdtemp(join(tmpdir(), 'parley-fed-'));
      const s2sPort = overrides.s2s?.port ?? (await freePort());
      try {
        const started = await startServer(
          configFor(otherDir, `fed-${others.length + 2}`, s2sPort, overrides),
          { logger: logger.child({ parley: others.length + 2 }) },
        );
        others.push({ server: started, dir: otherDir });
        return started;
      } catch (err) {
        await rm(otherDir, { recursive: true, force: true });
        throw err;
      }
    },
    async stop() {
      if (process.env['PARLEY_TEST_LOG']) {
        const { readFile } = await import('node:fs/promises');
        process.stderr.write(
          `--- ${opts.kind} log ---\n${await readFile(other.logFile, 'utf8').catch(() => '')}\n`,
        );
      }
      await other.stop();
      for (const o of others.splice(0)) {
        await o.server.close();
        await rm(o.dir, { recursive: true, force: true });
      }
      await server.close();
      await dns.stop();
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ScenarioResult {
  ok: boolean;
  failed?: string;
  error?: string;
  [step: string]: unknown;
}

/** Runs interop/federation_scenario.py (slixmpp on both sides) and returns its result line. */
export async function runFederationScenario(spec: object): Promise<ScenarioResult> {
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await run(PYTHON, [SCENARIO, JSON.stringify(spec)], {
      timeout: 120_000,
    }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
    stderr = (err as { stderr?: string }).stderr ?? '';
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ScenarioResult;
  } catch {
    return { ok: false, error: `no result line; stderr: ${stderr.slice(-2000)}` };
  }
}

/**
 * Runs interop/federation_bounce.py: a user of the peer sends a message
 * that cannot be delivered and reports the error that comes back.
 */
export function runFederationBounce(spec: object): Promise<ScenarioResult> {
  return runInteropScript('federation_bounce.py', spec);
}

/** Runs interop/<script> with `spec` as its JSON argument and returns its result line. */
export async function runInteropScript(script: string, spec: object): Promise<ScenarioResult> {
  const path = fileURLToPath(new URL(`./interop/${script}`, import.meta.url));
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await run(PYTHON, [path, JSON.stringify(spec)], { timeout: 120_000 }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
    stderr = (err as { stderr?: string }).stderr ?? '';
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ScenarioResult;
  } catch {
    return { ok: false, error: `no result line; stderr: ${stderr.slice(-2000)}` };
  }
}
