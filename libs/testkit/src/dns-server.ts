/**
 * A throw-away DNS server (dnsmasq) that answers only for test domains, so
 * real XMPP servers (Prosody, ejabberd) can find each other through A and SRV
 * records without touching the host's /etc/resolv.conf or real DNS.
 */
import { Resolver } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { FEDERATION_DOMAIN_SUFFIX } from './federation-pki.js';
import { startServerProcess } from './server-process.js';
import { canConnect } from './wait-for-port.js';
import type { ServerProcess } from './server-process.js';
import { startInTempDir, stopAndRemove } from './temp-dir-server.js';

export type DnsRecord =
  | { type: 'A'; name: string; address: string }
  | {
      type: 'SRV';
      /** Full owner name, e.g. `_xmpp-server._tcp.a.fed.example.net`. */
      name: string;
      /** Host name of the target (it needs an A record too). */
      target: string;
      port: number;
      priority?: number;
      weight?: number;
    };

export interface XmppDnsRecordsOptions {
  /** IPv4 address of the server (default 127.0.0.1). */
  address?: string;
  /** Adds `_xmpp-server._tcp.<name>` (STARTTLS s2s) pointing to `<domain>:<s2sPort>`. */
  s2sPort?: number;
  /** Adds `_xmpps-server._tcp.<name>` (XEP-0368 direct TLS s2s). */
  directTlsS2sPort?: number;
  /** Adds `_xmpp-client._tcp.<name>`. */
  c2sPort?: number;
  /**
   * Names served by the same server (e.g. `conference.<domain>`): each gets the
   * A record and the same SRV records as the domain.
   */
  subdomains?: string[];
}

/** The A and SRV records of an XMPP server for `domain` (and its subdomains). */
export function xmppDnsRecords(domain: string, opts: XmppDnsRecordsOptions = {}): DnsRecord[] {
  const address = opts.address ?? '127.0.0.1';
  const records: DnsRecord[] = [];
  for (const name of [domain, ...(opts.subdomains ?? [])]) {
    records.push({ type: 'A', name, address });
    const srv = (service: string, port: number | undefined): void => {
      if (port !== undefined)
        records.push({ type: 'SRV', name: `${service}.${name}`, target: domain, port });
    };
    srv('_xmpp-server._tcp', opts.s2sPort);
    srv('_xmpps-server._tcp', opts.directTlsS2sPort);
    srv('_xmpp-client._tcp', opts.c2sPort);
  }
  return records;
}

export interface DnsServerOptions {
  records: DnsRecord[];
  /**
   * Zones dnsmasq answers authoritatively: names in them without a record get
   * NXDOMAIN (NODATA for other types of a known name) instead of REFUSED.
   * Default: `fed.example.net` plus every A record name outside it. Names
   * outside every zone are REFUSED (there is no upstream server).
   */
  zones?: string[];
  /** Default 10000 ms. */
  startTimeoutMs?: number;
}

export interface DnsServer {
  /** Loopback address dnsmasq listens on (UDP and TCP), e.g. `127.0.53.17`. */
  readonly host: string;
  /** Always 53: libunbound's and glibc's resolv.conf parsers know no port. */
  readonly port: number;
  readonly pid: number;
  /** `nameserver <host>` and nothing else (for libunbound, glibc, Erlang). */
  readonly resolvConfFile: string;
  /**
   * An Erlang inetrc (`ERL_INETRC`) whose resolver uses `resolvConfFile`
   * only (`inet_res`, SRV lookups); `localhost` from a host entry.
   */
  readonly erlInetrcFile: string;
  /** dnsmasq's log (every query, `--log-queries`). */
  readonly logFile: string;
  readonly records: readonly DnsRecord[];
  output(): string;
  /** Stops dnsmasq and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** First address tried is 127.0.53.<random>; busy addresses are skipped. */
const ADDRESS_PREFIX = '127.0.53.';
const ADDRESS_ATTEMPTS = 20;
const BIND_FAILED = /failed to create listening socket|address already in use|cannot assign/i;

function dnsmasqArgs(
  host: string,
  logFile: string,
  records: readonly DnsRecord[],
  zones: readonly string[],
): string[] {
  const args = [
    '--keep-in-foreground',
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    `--listen-address=${host}`,
    '--port=53',
    '--user=root',
    '--pid-file=',
    '--cache-size=0',
    '--log-queries',
    `--log-facility=${logFile}`,
    ...zones.map((z) => `--local=/${z}/`),
  ];
  for (const r of records) {
    if (r.type === 'A') {
      args.push(`--host-record=${r.name},${r.address}`);
    } else {
      args.push(`--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`);
    }
  }
  return args;
}

function defaultZones(records: readonly DnsRecord[]): string[] {
  const suffix = `.${FEDERATION_DOMAIN_SUFFIX}`;
  const outside = records
    .filter(
      (r) => r.type === 'A' && !r.name.endsWith(suffix) && r.name !== FEDERATION_DOMAIN_SUFFIX,
    )
    .map((r) => r.name);
  return [...new Set([FEDERATION_DOMAIN_SUFFIX, ...outside])];
}

/** Answers that show the server is up (c-ares error codes for DNS response codes). */
const ANSWERED = new Set(['ENOTFOUND', 'ENODATA', 'EREFUSED', 'ESERVFAIL', 'ENOTIMP']);

/**
 * Asks `host` over UDP until it answers or time runs out: for the first A
 * record, which must resolve, or (without one) any name, whatever the answer.
 */
async function probe(host: string, records: readonly DnsRecord[], deadline: number): Promise<void> {
  const first = records.find((r) => r.type === 'A');
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([host]);
  for (;;) {
    try {
      if (first !== undefined) await resolver.resolve4(first.name);
      else
        await resolver.resolve4(`probe.${FEDERATION_DOMAIN_SUFFIX}`).catch((err: unknown) => {
          if (!ANSWERED.has((err as { code?: string }).code ?? '')) throw err;
        });
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new TestkitError(
          'start-timeout',
          `dnsmasq on ${host} did not answer: ${String(err)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Runs `dnsmasq` in the foreground on 127.0.53.N port 53 (N chosen at random
 * among free addresses, so parallel test files do not collide), answering
 * only `records`. Needs root (port 53). Prosody uses it through
 * `unbound = { resolvconf = resolvConfFile }`, Erlang through `erlInetrcFile`,
 * and glibc (ejabberd's A lookups) through a private bind mount of
 * `resolvConfFile` on /etc/resolv.conf (see `startEjabberd`).
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  if (process.getuid?.() !== 0) {
    throw new TestkitError('start-failed', 'startDnsServer needs root: dnsmasq listens on port 53');
  }
  const zones = opts.zones ?? defaultZones(opts.records);
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  return startInTempDir('parley-dns', async (dir) => {
    const logFile = join(dir, 'dnsmasq.log');
    const first = Math.floor(Math.random() * 250) + 2;
    let proc: ServerProcess | undefined;
    let host = '';
    let lastError: unknown;
    for (let i = 0; i < ADDRESS_ATTEMPTS && proc === undefined; i++) {
      host = `${ADDRESS_PREFIX}${((first + i - 2) % 252) + 2}`;
      // Another test file's server answers there: its port would look like ours.
      if (await canConnect(53, host, 200)) continue;
      try {
        proc = await startServerProcess({
          binary: 'dnsmasq',
          args: dnsmasqArgs(host, logFile, opts.records, zones),
          port: 53,
          host,
          startTimeoutMs: timeoutMs,
          stopTimeoutMs: 2000,
        });
      } catch (err) {
        lastError = err;
        const busy =
          err instanceof TestkitError &&
          err.code === 'start-failed' &&
          BIND_FAILED.test(err.message);
        if (!busy) throw err;
      }
    }
    if (proc === undefined) throw lastError;
    const server = proc;
    try {
      await probe(host, opts.records, Date.now() + timeoutMs);
    } catch (err) {
      await server.stop();
      throw err;
    }

    const resolvConfFile = join(dir, 'resolv.conf');
    await writeFile(
      resolvConfFile,
      `# written by @parley/testkit startDnsServer\nnameserver ${host}\n`,
    );
    const erlInetrcFile = join(dir, 'inetrc');
    await writeFile(
      erlInetrcFile,
      [
        '%% written by @parley/testkit startDnsServer',
        `{resolv_conf, "${resolvConfFile}"}.`,
        '{hosts_file, ""}.',
        '{host, {127,0,0,1}, ["localhost"]}.',
        '{lookup, [file, dns]}.',
        '{timeout, 2000}.',
        '',
      ].join('\n'),
    );
    return {
      host,
      port: 53,
      pid: server.pid,
      resolvConfFile,
      erlInetrcFile,
      logFile,
      records: [...opts.records],
      output: () => server.output(),
      stop: stopAndRemove(server, dir),
    };
  });
}
