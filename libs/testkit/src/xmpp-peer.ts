/** What `startProsody` and `startEjabberd` have in common. */
import type { DnsServer } from './dns-server.js';
import { freePort } from './free-port.js';

export interface XmppPeerUser {
  /** Localpart, e.g. `alice`. */
  user: string;
  password: string;
  /**
   * ejabberd with `passwordFormat: 'scram'`: the SCRAM-SHA-1 keys derived
   * beforehand (base64), registered as they are. ejabberd 23.01 derives them
   * in Erlang (about 20 ms per account), too slow for thousands of users.
   */
  scramSha1?: { storedKey: string; serverKey: string; salt: string; iterations: number };
}

/**
 * How the peer authenticates other servers (and is authenticated by them):
 * - `dialback`: XEP-0220 only. Peer certificates are not used for
 *   authentication (Prosody: mod_s2s_auth_certs disabled, ejabberd: no
 *   `s2s_cafile`, so only the system CAs, which never include the test CA).
 * - `certificates`: SASL EXTERNAL with PKIX certificates only (dialback off;
 *   Prosody also sets `s2s_secure_auth`).
 * - `both`: certificates when the peer's certificate checks out against
 *   `tls.caFile`, dialback otherwise.
 */
export type S2sAuth = 'dialback' | 'certificates' | 'both';

export interface XmppPeerTls {
  certFile: string;
  keyFile: string;
  /** CA trusted for peers' certificates (e.g. `FederationPki.caFile`). */
  caFile?: string;
}

export interface XmppPeerOptions {
  /** The XMPP domain (a name the `dns` server answers, e.g. `federationDomain('a')`). */
  domain: string;
  /** The kit's DNS server, used for every s2s lookup. */
  dns: DnsServer;
  /** Client port on 127.0.0.1 (default: a free one). */
  c2sPort?: number;
  /** Server port on 127.0.0.1 (default: a free one); publish it with an SRV record. */
  s2sPort?: number;
  /** Without it the peer speaks no TLS at all (and cannot require it). */
  tls?: XmppPeerTls;
  users?: XmppPeerUser[];
  /** Also serve a MUC service on `conference.<domain>` (default false). */
  muc?: boolean;
  /** Default `both`. */
  s2sAuth?: S2sAuth;
  /** s2s streams must be TLS-encrypted (default: true when `tls` is given). */
  requireEncryption?: boolean;
  /** Appended to the generated configuration file verbatim. */
  extraConfig?: string;
  startTimeoutMs?: number;
}

export interface XmppPeer {
  readonly domain: string;
  /** `conference.<domain>` when `muc` was requested. */
  readonly mucDomain: string | undefined;
  readonly host: string;
  readonly c2sPort: number;
  readonly s2sPort: number;
  readonly pid: number;
  /** Temporary directory with the configuration, data and logs (removed by `stop()`). */
  readonly dir: string;
  readonly configFile: string;
  /** The server's own log file. */
  readonly logFile: string;
  /** The last 16 KiB the process wrote to stdout/stderr. */
  output(): string;
  /** Stops the server (by its pid) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Two free ports for a peer, to publish in DNS before the peer starts. */
export async function reserveXmppPorts(): Promise<{ c2sPort: number; s2sPort: number }> {
  const c2sPort = await freePort();
  let s2sPort = await freePort();
  while (s2sPort === c2sPort) s2sPort = await freePort();
  return { c2sPort, s2sPort };
}

export async function peerPorts(
  opts: XmppPeerOptions,
): Promise<{ c2sPort: number; s2sPort: number }> {
  const reserved =
    opts.c2sPort === undefined || opts.s2sPort === undefined ? await reserveXmppPorts() : undefined;
  return {
    c2sPort: opts.c2sPort ?? reserved?.c2sPort ?? 0,
    s2sPort: opts.s2sPort ?? reserved?.s2sPort ?? 0,
  };
}

/** Waits until `ready()` is true, the process exits, or time runs out. */
export async function waitUntil(
  ready: () => boolean,
  failed: () => string | undefined,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return { ok: true };
    const reason = failed();
    if (reason !== undefined) return { ok: false, reason };
    if (Date.now() > deadline) return { ok: false, reason: `not ready within ${timeoutMs} ms` };
    await new Promise((r) => setTimeout(r, 50));
  }
}
