/**
 * A real ejabberd (Debian's 23.01) as a federation peer: generated
 * ejabberd.yml in a temporary directory, the Erlang VM started directly
 * (not through ejabberdctl, which switches to the ejabberd account and may
 * `epmd -kill`), users registered by an `-eval` after startup.
 *
 * DNS: ejabberd looks up SRV records with Erlang's inet_res (configured by
 * `ERL_INETRC`), but A/AAAA records with `net:getaddrinfo`, i.e. glibc and
 * /etc/resolv.conf. The VM therefore runs in its own mount namespace
 * (`unshare --mount`) where the kit's resolv.conf is bind-mounted over
 * /etc/resolv.conf; the host's file is untouched. This needs root.
 *
 * No Erlang distribution: the node is `nonode@nohost`, so no epmd is started
 * or used and parallel instances cannot clash on node names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { startServerProcess } from './server-process.js';
import { runningPeer, startInTempDir } from './temp-dir-server.js';
import { waitForPort } from './wait-for-port.js';
import { peerPorts, waitUntil } from './xmpp-peer.js';
import type { XmppPeer, XmppPeerOptions, XmppPeerUser } from './xmpp-peer.js';

export interface EjabberdOptions extends XmppPeerOptions {
  /** ejabberd `loglevel` (default `info`; `debug` logs every stanza). */
  logLevel?: 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug';
  /**
   * How ejabberd stores passwords (`auth_password_format`, default `scram`).
   * `plain` is ejabberd's own default: PLAIN logins then cost no PBKDF2.
   */
  passwordFormat?: 'scram' | 'plain';
  /** Listen backlog of the c2s port (ejabberd's default is small: many parallel connects time out). */
  c2sBacklog?: number;
}

const READY = 'parley-testkit: ejabberd ready';
const FAILED = 'parley-testkit: ejabberd failed';

/** Directory holding ejabberd-<version>/ebin: what Debian's ejabberdctl exports as ERL_LIBS. */
export function ejabberdLibDir(): string | undefined {
  const ctl = findBinary('ejabberdctl');
  if (ctl !== undefined) {
    try {
      const m = /^ERL_LIBS=['"]?([^'"\n]+)['"]?$/m.exec(readFileSync(ctl, 'utf8'));
      if (m?.[1] !== undefined) return m[1];
    } catch {
      // Not a readable script; search below.
    }
  }
  const candidates = ['/usr/lib', '/usr/local/lib'];
  try {
    candidates.push(
      ...readdirSync('/usr/lib')
        .filter((d) => d.endsWith('-linux-gnu'))
        .map((d) => `/usr/lib/${d}`),
    );
  } catch {
    // No /usr/lib.
  }
  return candidates.find((dir) => {
    try {
      return readdirSync(dir).some((d) => /^ejabberd-\d/.test(d));
    } catch {
      return false;
    }
  });
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const yaml = (value: string): string => JSON.stringify(value);

/** An Erlang binary literal, byte by byte (no escaping questions). */
const erlBinary = (value: string): string => `<<${[...Buffer.from(value, 'utf8')].join(',')}>>`;

export function ejabberdConfig(
  opts: EjabberdOptions,
  paths: { certFiles: string[] },
  ports: { c2sPort: number; s2sPort: number },
): string {
  const auth = opts.s2sAuth ?? 'both';
  const requireEncryption = opts.requireEncryption ?? opts.tls !== undefined;
  const starttls = opts.tls === undefined ? 'false' : requireEncryption ? 'required' : 'optional';
  const lines = [
    '# written by @parley/testkit startEjabberd',
    'hosts:',
    `  - ${yaml(opts.domain)}`,
    `loglevel: ${opts.logLevel ?? 'info'}`,
    'log_rotate_count: 0',
    'hide_sensitive_log_data: false',
    'auth_method: internal',
    `auth_password_format: ${opts.passwordFormat ?? 'scram'}`,
    'default_db: mnesia',
    `s2s_use_starttls: ${starttls}`,
    's2s_access: all',
    's2s_dns_timeout: 5',
    'outgoing_s2s_families:',
    '  - ipv4',
  ];
  if (paths.certFiles.length > 0) {
    lines.push('certfiles:', ...paths.certFiles.map((f) => `  - ${yaml(f)}`));
  }
  if (opts.tls?.caFile !== undefined && auth !== 'dialback') {
    lines.push(`s2s_cafile: ${yaml(opts.tls.caFile)}`);
  }
  lines.push(
    'listen:',
    '  -',
    `    port: ${ports.c2sPort}`,
    '    ip: "127.0.0.1"',
    '    module: ejabberd_c2s',
    ...(opts.c2sBacklog !== undefined ? [`    backlog: ${opts.c2sBacklog}`] : []),
    `    starttls: ${opts.tls !== undefined}`,
    '    access: c2s',
    '  -',
    `    port: ${ports.s2sPort}`,
    '    ip: "127.0.0.1"',
    '    module: ejabberd_s2s_in',
    'acl:',
    '  local:',
    '    user_regexp: ""',
    'access_rules:',
    '  local:',
    '    allow: local',
    '  c2s:',
    '    allow: all',
    '  muc_create:',
    '    allow: all',
    'modules:',
    '  mod_roster: {}',
    '  mod_disco: {}',
    '  mod_version: {}',
    '  mod_ping: {}',
  );
  if (auth !== 'certificates') lines.push('  mod_s2s_dialback: {}');
  if (opts.muc === true) {
    lines.push(
      '  mod_muc:',
      '    host: "conference.@HOST@"',
      '    access_create: muc_create',
      '    access_persistent: muc_create',
    );
  }
  if (opts.extraConfig !== undefined) lines.push(opts.extraConfig);
  return `${lines.join('\n')}\n`;
}

/** The users as Erlang terms, one `{User, Password}.` per line, for `file:consult/1`. */
export function ejabberdUserTerms(users: readonly XmppPeerUser[]): string {
  return users
    .map((u) => {
      const k = u.scramSha1;
      const password = k
        ? `{scram, ${erlBinary(k.storedKey)}, ${erlBinary(k.serverKey)}, ${erlBinary(k.salt)}, sha, ${k.iterations}}`
        : erlBinary(u.password);
      return `{${erlBinary(u.user)}, ${password}}.\n`;
    })
    .join('');
}

/**
 * Registers the users of `usersFile` (ejabberdUserTerms) after startup. The
 * users are read from a file: as an -eval argument ten thousand of them pass
 * the kernel's 128 KiB limit for one argument.
 */
function registrationCode(opts: EjabberdOptions, usersFile: string): string {
  return [
    '{ok, _} = application:ensure_all_started(ejabberd),',
    `Host = ${erlBinary(opts.domain)},`,
    `{ok, Users} = file:consult(${JSON.stringify(usersFile)}),`,
    'R = [{U, ejabberd_auth:try_register(U, Host, P)} || {U, P} <- Users],',
    'case [X || {_, Res} = X <- R, Res =/= ok] of',
    `  [] -> io:format("${READY}~n");`,
    `  Bad -> io:format("${FAILED}: ~p~n", [Bad]), halt(1)`,
    'end.',
  ].join(' ');
}

/**
 * Starts ejabberd for `opts.domain` on 127.0.0.1 (`c2sPort`, `s2sPort`),
 * registers `users`, and resolves once it accepts connections on both ports
 * and the users exist. Needs root (a private mount namespace for
 * /etc/resolv.conf); startup takes a few seconds (default timeout 60 s).
 */
export async function startEjabberd(opts: EjabberdOptions): Promise<XmppPeer> {
  const erl = findBinary('erl');
  const libDir = ejabberdLibDir();
  if (erl === undefined || libDir === undefined || findBinary('unshare') === undefined) {
    throw new TestkitError(
      'binary-not-found',
      'ejabberd needs erl, the ejabberd Erlang application and unshare (install ejabberd)',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new TestkitError('start-failed', 'startEjabberd needs root (unshare --mount)');
  }
  const ports = await peerPorts(opts);
  return startInTempDir('parley-ejabberd', async (dir) => {
    const spool = join(dir, 'spool');
    const logs = join(dir, 'logs');
    await mkdir(spool);
    await mkdir(logs);
    const certFiles: string[] = [];
    if (opts.tls) {
      // One PEM with certificate and key: ejabberd pairs them itself, but keep it simple.
      const pem = join(dir, 'server.pem');
      await writeFile(
        pem,
        `${readFileSync(opts.tls.certFile, 'utf8').trim()}\n${readFileSync(opts.tls.keyFile, 'utf8').trim()}\n`,
        { mode: 0o600 },
      );
      certFiles.push(pem);
    }
    const configFile = join(dir, 'ejabberd.yml');
    await writeFile(configFile, ejabberdConfig(opts, { certFiles }, ports));
    const usersFile = join(dir, 'users.eterm');
    await writeFile(usersFile, ejabberdUserTerms(opts.users ?? []), { mode: 0o600 });
    const inetrc = join(dir, 'inetrc');
    await copyFile(opts.dns.erlInetrcFile, inetrc);
    const logFile = join(logs, 'ejabberd.log');

    const erlArgs = [
      erl,
      '+K',
      'true',
      '-noinput',
      '-env',
      'ERL_CRASH_DUMP_BYTES',
      '0',
      '-mnesia',
      'dir',
      JSON.stringify(spool),
      '-s',
      'ejabberd',
      '-eval',
      registrationCode(opts, usersFile),
    ];
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    const proc = await startServerProcess({
      binary: 'unshare',
      // A private mount namespace: /etc/resolv.conf is the kit's only in there.
      args: [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        'mount --bind "$0" /etc/resolv.conf && exec "$@"',
        opts.dns.resolvConfFile,
        ...erlArgs,
      ],
      port: ports.c2sPort,
      cwd: spool,
      env: {
        ...process.env,
        HOME: dir,
        EJABBERD_CONFIG_PATH: configFile,
        EJABBERD_LOG_PATH: logFile,
        ERL_INETRC: inetrc,
        ERL_LIBS: libDir,
        ERL_CRASH_DUMP: join(logs, 'erl_crash.dump'),
      },
      startTimeoutMs: timeoutMs,
      stopTimeoutMs: 10_000,
    });

    // The listeners open before the -eval registers the users: wait for its line.
    let seen = '';
    let ready = false;
    proc.child.stdout?.on('data', (chunk: string) => {
      seen = (seen + chunk).slice(-4096);
      if (seen.includes(READY)) ready = true;
    });
    ready ||= proc.output().includes(READY);
    const started = await waitUntil(
      () => ready,
      () =>
        proc.exited
          ? 'ejabberd exited'
          : proc.output().includes(FAILED)
            ? 'user registration failed'
            : undefined,
      timeoutMs,
    );
    const s2s = started.ok
      ? await waitForPort(ports.s2sPort, { timeoutMs: 5000 })
      : { ok: false as const, reason: started.reason };
    if (!s2s.ok) {
      const exited = proc.exited;
      await proc.stop();
      throw new TestkitError(
        exited ? 'start-failed' : 'start-timeout',
        `ejabberd for ${opts.domain}: ${s2s.reason}; output:\n${proc.output()}`,
      );
    }

    return runningPeer(opts, ports, proc, { dir, configFile, logFile });
  });
}
