/**
 * Finding a remote XMPP server (RFC 6120 section 3.2, XEP-0368):
 * `_xmpps-server._tcp.<domain>` (direct TLS) and `_xmpp-server._tcp.<domain>`
 * (STARTTLS) SRV records, ordered as RFC 2782 says (priority, then a
 * weighted random choice), direct TLS first at equal priority (XEP-0368
 * section 3); a lone "." target means the service is decidedly not offered;
 * without SRV records the domain itself on port 5269. Static overrides
 * (`s2s.overrides`) skip DNS.
 * https://www.rfc-editor.org/rfc/rfc6120#section-3.2
 * https://xmpp.org/extensions/xep-0368.html
 * https://www.rfc-editor.org/rfc/rfc2782
 */
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import type { SrvRecord } from 'node:dns';
import { isIP } from 'node:net';

export interface ServerCandidate {
  host: string;
  port: number;
  directTls: boolean;
}

export interface ResolveOptions {
  /** DNS servers, `host` or `host:port` (IP addresses); empty = the system's. */
  resolvers: string[];
  /** `domain=host:port` or `domain=tls://host:port`. */
  overrides: string[];
  /** Per DNS query. */
  timeoutMs: number;
}

export const DEFAULT_S2S_PORT = 5269;

/** The remote server cannot be found: no usable DNS answer, or the service is declared absent. */
export class ServerNotFoundError extends Error {
  override readonly name = 'ServerNotFoundError';
}

/** Checks `s2s.overrides` and returns them by domain; throws naming the bad entry. */
export function parseOverrides(entries: readonly string[]): Map<string, ServerCandidate> {
  const out = new Map<string, ServerCandidate>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const bad = (why: string): Error =>
      new Error(
        `s2s.overrides: bad entry '${entry}' (${why}; expected domain=host:port or domain=tls://host:port)`,
      );
    if (eq <= 0) throw bad("no 'domain='");
    const domain = entry.slice(0, eq).trim().toLowerCase();
    let target = entry.slice(eq + 1).trim();
    if (!/^[a-z0-9.-]+$/.test(domain) || domain.startsWith('.') || domain.endsWith('.')) {
      throw bad('invalid domain');
    }
    let directTls = false;
    if (target.startsWith('tls://')) {
      directTls = true;
      target = target.slice(6);
    } else if (target.includes('://')) {
      throw bad('only tls:// is allowed as scheme');
    }
    const hp = splitHostPort(target);
    if (hp === undefined || hp.port === undefined) throw bad('invalid host:port');
    out.set(domain, { host: hp.host, port: hp.port, directTls });
  }
  return out;
}

/** Checks `s2s.resolvers` (IP addresses, optionally with a port) for `Resolver.setServers`. */
export function parseResolvers(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const hp = splitHostPort(entry.trim());
    if (hp === undefined || isIP(hp.host) === 0) {
      throw new Error(
        `s2s.resolvers: bad entry '${entry}' (expected an IP address, optionally with :port; IPv6 with a port as [addr]:port)`,
      );
    }
    if (hp.port === undefined) return hp.host;
    return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
  });
}

function splitHostPort(s: string): { host: string; port: number | undefined } | undefined {
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1) return undefined;
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return undefined;
  } else if (isIP(s) === 6) {
    host = s;
  } else {
    const colon = s.lastIndexOf(':');
    host = colon === -1 ? s : s.slice(0, colon);
    portText = colon === -1 ? undefined : s.slice(colon + 1);
  }
  if (host === '' || /[\s/@]/.test(host)) return undefined;
  if (portText === undefined) return { host, port: undefined };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return undefined;
  return { host, port };
}

function makeResolver(opts: ResolveOptions): Resolver {
  const resolver = new Resolver({ timeout: Math.max(1, opts.timeoutMs), tries: 2 });
  if (opts.resolvers.length > 0) resolver.setServers(parseResolvers(opts.resolvers));
  return resolver;
}

type SrvAnswer = { kind: 'records'; records: SrvRecord[] } | { kind: 'none' } | { kind: 'absent' };

async function srv(resolver: Resolver, name: string): Promise<SrvAnswer> {
  let records: SrvRecord[];
  try {
    records = await resolver.resolveSrv(name);
  } catch {
    // NXDOMAIN, no data, or a failed lookup: as if there were no records (RFC 6120 3.2.2).
    return { kind: 'none' };
  }
  if (records.length === 0) return { kind: 'none' };
  if (records.length === 1 && (records[0]!.name === '.' || records[0]!.name === '')) {
    return { kind: 'absent' };
  }
  return { kind: 'records', records: records.filter((r) => r.name !== '.' && r.name !== '') };
}

interface Ranked extends ServerCandidate {
  priority: number;
  weight: number;
}

/** RFC 2782 order: by priority; in each priority, a weighted random order; direct TLS first on ties. */
export function orderSrv(records: Ranked[], random: () => number = Math.random): ServerCandidate[] {
  const groups = new Map<string, Ranked[]>();
  for (const r of records) {
    const key = `${String(r.priority).padStart(5, '0')}:${r.directTls ? 0 : 1}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  const out: ServerCandidate[] = [];
  for (const key of [...groups.keys()].sort()) {
    // Zero weights first so that they have a (small) chance, as RFC 2782 describes.
    const pool = [...groups.get(key)!].sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        const target = random() * total;
        let running = 0;
        pick = pool.findIndex((r) => (running += r.weight) > target);
        if (pick === -1) pick = pool.length - 1;
      }
      const [chosen] = pool.splice(pick, 1);
      out.push({ host: chosen!.host, port: chosen!.port, directTls: chosen!.directTls });
    }
  }
  return out;
}

/** The servers to try for `domain`, best first. Throws ServerNotFoundError. */
export async function resolveServer(
  domain: string,
  opts: ResolveOptions,
): Promise<ServerCandidate[]> {
  const override = parseOverrides(opts.overrides).get(domain.toLowerCase());
  if (override !== undefined) return [override];
  const resolver = makeResolver(opts);
  const [tls, plain] = await Promise.all([
    srv(resolver, `_xmpps-server._tcp.${domain}`),
    srv(resolver, `_xmpp-server._tcp.${domain}`),
  ]);
  const ranked: Ranked[] = [];
  if (tls.kind === 'records') {
    for (const r of tls.records)
      ranked.push({
        host: r.name,
        port: r.port,
        directTls: true,
        priority: r.priority,
        weight: r.weight,
      });
  }
  if (plain.kind === 'records') {
    for (const r of plain.records)
      ranked.push({
        host: r.name,
        port: r.port,
        directTls: false,
        priority: r.priority,
        weight: r.weight,
      });
  }
  if (ranked.length > 0) return orderSrv(ranked);
  // "." for _xmpp-server: decidedly no service (RFC 6120 3.2.1); for _xmpps-server alone it
  // only says that there is no direct TLS, and the domain itself is tried.
  if (plain.kind === 'absent') {
    throw new ServerNotFoundError(
      `${domain} declares that it offers no XMPP server-to-server service`,
    );
  }
  return [{ host: domain, port: DEFAULT_S2S_PORT, directTls: false }];
}

/**
 * The addresses of `host` (IPv6 and IPv4): through the configured resolvers
 * when there are some, else the system's lookup (which reads /etc/hosts).
 */
export async function resolveAddresses(host: string, opts: ResolveOptions): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  if (opts.resolvers.length === 0) {
    try {
      const all = await lookup(host, { all: true });
      return all.map((a) => a.address);
    } catch {
      return [];
    }
  }
  const resolver = makeResolver(opts);
  const [v6, v4] = await Promise.all([
    resolver.resolve6(host).catch((): string[] => []),
    resolver.resolve4(host).catch((): string[] => []),
  ]);
  return [...v6, ...v4];
}
