/**
 * Debian's ejabberd and Prosody as benchmark targets, configured like the
 * spawned Parley server: the domain `localhost`, c2s on 127.0.0.1 with PLAIN
 * allowed without TLS, no message archive, users `load1..loadN` with the
 * passwords `pw1..pwN`, quiet logs. Started through the test kit (which
 * needs root: a private mount namespace for ejabberd's resolver, prosodyctl
 * as root), so the peers here are the same programs the federation tests use.
 *
 * Pinning: the peer inherits the CPU affinity of the process that starts it
 * (run the starter under `taskset -c 0`): the Erlang VM then starts one
 * scheduler per CPU it may use, and Prosody is single-threaded anyway.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startDnsServer, startEjabberd, startProsody } from '@parley/testkit';
import type { DnsServer, XmppPeer } from '@parley/testkit';

const pbkdf2Async = promisify(pbkdf2);

export type PeerKind = 'ejabberd' | 'prosody';

export interface PeerTarget {
  kind: PeerKind;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

export interface PeerOptions {
  kind: PeerKind;
  /** Users load1..loadN (default pattern) to create. */
  users: number;
  userPattern: string;
  passwordPattern: string;
  log: (line: string) => void;
  /** ejabberd: Erlang schedulers (`+S N:N`); default one per CPU of the machine. */
  erlangSchedulers?: number;
  /**
   * ejabberd's `auth_password_format` (default `plain`, ejabberd's own
   * default: PLAIN logins cost no PBKDF2); `scram` stores only the salted
   * SCRAM-SHA-1 keys (4096 iterations), as Prosody and Parley do.
   */
  ejabberdPasswords?: 'plain' | 'scram';
  /** Certificate and key: STARTTLS offered (not required) on c2s. */
  tls?: { certFile: string; keyFile: string };
  /** A MUC service on conference.<domain> (XEP-0045). */
  muc?: boolean;
  /** Archive every one-to-one message (XEP-0313) in the peer's default store. */
  mam?: boolean;
}

function userAt(pattern: string, i: number): { user: string; domain: string } {
  const jid = pattern.replace('%d', String(i));
  const at = jid.indexOf('@');
  return { user: jid.slice(0, at), domain: jid.slice(at + 1) };
}

/** Starts ejabberd or Prosody with the benchmark's users; `stop()` ends it and its DNS server. */
export async function startPeer(opts: PeerOptions): Promise<PeerTarget> {
  const domain = userAt(opts.userPattern, 1).domain;
  // The kit's peers resolve names through their own dnsmasq (a federation
  // concern); the benchmark needs none, but the peers' configuration expects one.
  const dns: DnsServer = await startDnsServer({ records: [], zones: [domain] });
  let peer: XmppPeer | undefined;
  try {
    const started = Date.now();
    if (opts.kind === 'ejabberd') {
      // The kit passes this process's environment to the VM; ERL_FLAGS adds VM flags.
      if (opts.erlangSchedulers !== undefined)
        process.env['ERL_FLAGS'] = `+S ${opts.erlangSchedulers}:${opts.erlangSchedulers}`;
      const scram = opts.ejabberdPasswords === 'scram';
      const passwords = Array.from({ length: opts.users }, (_, k) =>
        opts.passwordPattern.replace('%d', String(k + 1)),
      );
      // Derived here, on the libuv pool: ejabberd 23.01 takes about 20 ms of Erlang per account.
      const allKeys = scram ? await inBatches(passwords, (p) => scramSha1Keys(p)) : [];
      const users = [];
      for (let i = 1; i <= opts.users; i++) {
        const password = passwords[i - 1]!;
        const keys = allKeys[i - 1];
        users.push({
          user: userAt(opts.userPattern, i).user,
          password,
          ...(keys
            ? {
                scramSha1: {
                  storedKey: keys.storedKey.toString('base64'),
                  serverKey: keys.serverKey.toString('base64'),
                  salt: keys.salt.toString('base64'),
                  iterations: keys.iterations,
                },
              }
            : {}),
        });
      }
      peer = await startEjabberd({
        domain,
        dns,
        users,
        logLevel: 'warning',
        // ejabberd's default, as in the published comparisons: PLAIN logins skip PBKDF2.
        passwordFormat: opts.ejabberdPasswords ?? 'plain',
        c2sBacklog: 4096,
        startTimeoutMs: 60_000 + opts.users * 5,
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(opts.muc === true ? { muc: true } : {}),
        // No shaper, generous limits: the benchmark measures routing, not throttling.
        // mod_mam goes on with the other modules (the lines before are the `modules:` map).
        extraConfig: [
          ...(opts.mam === true ? ['  mod_mam:', '    default: always'] : []),
          'max_fsm_queue: 100000',
        ].join('\n'),
      });
    } else {
      peer = await startProsody({
        domain,
        dns,
        logLevel: 'warn',
        prepare: (dataDir: string) => writeProsodyAccounts(dataDir, domain, opts),
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(opts.muc === true ? { muc: true } : {}),
        // Back in the host's section (the kit's MUC component may come before this).
        extraConfig: [
          `VirtualHost ${JSON.stringify(domain)}`,
          ...(opts.mam === true
            ? ['  modules_enabled = { "mam" }', '  default_archive_policy = true']
            : []),
          '  limits = { c2s = { rate = "100mb/s" } }',
        ].join('\n'),
      });
    }
    opts.log(
      `${opts.kind} started on 127.0.0.1:${peer.c2sPort} (pid ${peer.pid}) with ${opts.users} users in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    await dns.stop();
    throw err;
  }
  const p = peer;
  return {
    kind: opts.kind,
    pid: p.pid,
    port: p.c2sPort,
    stop: async () => {
      await p.stop();
      await dns.stop();
    },
  };
}

/** `f` over `items`, 256 at a time, results in order. */
async function inBatches<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 256) {
    out.push(...(await Promise.all(items.slice(i, i + 256).map(f))));
  }
  return out;
}

/** SCRAM-SHA-1 keys of a password (RFC 5802), 4096 iterations, as Prosody and ejabberd store them. */
export async function scramSha1Keys(
  password: string,
  salt: Buffer = randomBytes(16),
): Promise<{ salt: Buffer; iterations: number; storedKey: Buffer; serverKey: Buffer }> {
  const iterations = 4096;
  const salted = await pbkdf2Async(password, salt, iterations, 20, 'sha1');
  const clientKey = createHmac('sha1', salted).update('Client Key').digest();
  return {
    salt,
    iterations,
    storedKey: createHash('sha1').update(clientKey).digest(),
    serverKey: createHmac('sha1', salted).update('Server Key').digest(),
  };
}

/**
 * Prosody's `internal_hashed` accounts written as its data files
 * (`<data>/<host>/accounts/<user>.dat`, a Lua table with the SCRAM-SHA-1
 * salt, stored key, server key and iteration count): `prosodyctl register`
 * takes about a tenth of a second per user, too slow for thousands.
 */
async function writeProsodyAccounts(
  dataDir: string,
  domain: string,
  opts: PeerOptions,
): Promise<void> {
  // Prosody encodes the host directory name (a '.' becomes %2e).
  const hostDir = join(dataDir, encodeURIComponent(domain).replace(/\./g, '%2e'), 'accounts');
  await mkdir(hostDir, { recursive: true });
  for (let i = 1; i <= opts.users; i++) {
    const { user } = userAt(opts.userPattern, i);
    const password = opts.passwordPattern.replace('%d', String(i));
    // Prosody salts with the salt's text (it keeps it as a string).
    const salt = randomBytes(16).toString('base64');
    const keys = await scramSha1Keys(password, Buffer.from(salt, 'utf8'));
    const lua = [
      'return {',
      `\t["iteration_count"] = ${keys.iterations};`,
      `\t["salt"] = ${JSON.stringify(salt)};`,
      `\t["stored_key"] = ${JSON.stringify(keys.storedKey.toString('hex'))};`,
      `\t["server_key"] = ${JSON.stringify(keys.serverKey.toString('hex'))};`,
      '};',
      '',
    ].join('\n');
    await writeFile(join(hostDir, `${encodeURIComponent(user).replace(/\./g, '%2e')}.dat`), lua);
  }
}
