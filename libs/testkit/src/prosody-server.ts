/**
 * A real Prosody (Debian's 0.12) as a federation peer: generated
 * prosody.cfg.lua in a temporary directory, users created with prosodyctl,
 * `prosody -F` in the foreground, DNS through the kit's dnsmasq.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { startServerProcess } from './server-process.js';
import { runningPeer, startInTempDir } from './temp-dir-server.js';
import { waitForPort } from './wait-for-port.js';
import { peerPorts } from './xmpp-peer.js';
import type { XmppPeer, XmppPeerOptions } from './xmpp-peer.js';

const run = promisify(execFile);

export interface ProsodyOptions extends XmppPeerOptions {
  /** Minimum level written to `logFile` (default `debug`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Runs on the fresh data directory before Prosody starts (after `users`
   * are registered), e.g. to write many accounts as data files at once.
   */
  prepare?: (dataDir: string) => Promise<void>;
}

/** A Lua string literal. */
function lua(value: string): string {
  if (/[\0-\x1f]/.test(value)) throw new TypeError(`control character in ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function luaList(values: readonly string[]): string {
  return `{ ${values.map(lua).join(', ')} }`;
}

export function prosodyConfig(
  opts: ProsodyOptions,
  paths: { dir: string; dataDir: string; certsDir: string; logFile: string },
  ports: { c2sPort: number; s2sPort: number },
): string {
  const auth = opts.s2sAuth ?? 'both';
  const requireEncryption = opts.requireEncryption ?? opts.tls !== undefined;
  const modules = ['roster', 'saslauth', 'disco', 'presence', 'ping', 'version'];
  if (opts.tls) modules.push('tls');
  if (auth !== 'certificates') modules.push('dialback');
  // Autoloaded; without it no peer certificate is checked, so no SASL EXTERNAL either way.
  const disabled = auth === 'dialback' ? ['s2s_auth_certs'] : [];
  const lines = [
    '-- written by @parley/testkit startProsody',
    'run_as_root = true',
    'daemonize = false',
    `data_path = ${lua(paths.dataDir)}`,
    `certificates = ${lua(paths.certsDir)}`,
    `pidfile = ${lua(join(paths.dir, 'prosody.pid'))}`,
    'log = {',
    `  { levels = { min = ${lua(opts.logLevel ?? 'debug')} }, to = "file", filename = ${lua(paths.logFile)} };`,
    '  { levels = { min = "info" }, to = "console" };',
    '}',
    'use_ipv6 = false',
    'interfaces = { "127.0.0.1" }',
    'local_interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${ports.c2sPort} }`,
    `s2s_ports = { ${ports.s2sPort} }`,
    'c2s_direct_tls_ports = { }',
    's2s_direct_tls_ports = { }',
    'legacy_ssl_ports = { }',
    'component_ports = { }',
    'http_ports = { }',
    'https_ports = { }',
    `modules_enabled = ${luaList(modules)}`,
    `modules_disabled = ${luaList(disabled)}`,
    'authentication = "internal_hashed"',
    'storage = "internal"',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    `s2s_require_encryption = ${requireEncryption}`,
    `s2s_secure_auth = ${auth === 'certificates'}`,
    // libunbound answers only what the kit's dnsmasq says (no /etc/hosts, no /etc/resolv.conf).
    `unbound = { resolvconf = ${lua(opts.dns.resolvConfFile)}, hoststxt = false }`,
  ];
  if (opts.tls) {
    const ssl = [
      `certificate = ${lua(opts.tls.certFile)}`,
      `key = ${lua(opts.tls.keyFile)}`,
      ...(opts.tls.caFile === undefined ? [] : [`cafile = ${lua(opts.tls.caFile)}`]),
    ];
    lines.push(`ssl = { ${ssl.join(', ')} }`);
  }
  lines.push('', `VirtualHost ${lua(opts.domain)}`);
  if (opts.muc === true) {
    lines.push('', `Component ${lua(`conference.${opts.domain}`)} "muc"`);
    lines.push('  restrict_room_creation = false');
  }
  if (opts.extraConfig !== undefined) lines.push('', opts.extraConfig);
  return `${lines.join('\n')}\n`;
}

/**
 * Starts Prosody for `opts.domain` on 127.0.0.1 (`c2sPort`, `s2sPort`) and
 * resolves once both ports accept connections. Users are created with
 * `prosodyctl register` before the start. Runs as root (`run_as_root`).
 */
export async function startProsody(opts: ProsodyOptions): Promise<XmppPeer> {
  const prosodyctl = findBinary('prosodyctl');
  if (prosodyctl === undefined || findBinary('prosody') === undefined) {
    throw new TestkitError('binary-not-found', 'prosody/prosodyctl not found (install prosody)');
  }
  const ports = await peerPorts(opts);
  return startInTempDir('parley-prosody', async (dir) => {
    const paths = {
      dir,
      dataDir: join(dir, 'data'),
      certsDir: join(dir, 'certs'),
      logFile: join(dir, 'prosody.log'),
    };
    await mkdir(paths.dataDir, { mode: 0o750 });
    await mkdir(paths.certsDir);
    const configFile = join(dir, 'prosody.cfg.lua');
    await writeFile(configFile, prosodyConfig(opts, paths, ports));

    for (const u of opts.users ?? []) {
      try {
        await run(
          prosodyctl,
          ['--config', configFile, 'register', u.user, opts.domain, u.password],
          {
            cwd: dir,
            timeout: 20_000,
          },
        );
      } catch (err) {
        const e = err as { stderr?: string; stdout?: string };
        throw new TestkitError(
          'start-failed',
          `prosodyctl register ${u.user} ${opts.domain} failed: ${e.stderr ?? ''}${e.stdout ?? ''}`,
          { cause: err },
        );
      }
    }

    await opts.prepare?.(paths.dataDir);

    const timeoutMs = opts.startTimeoutMs ?? 20_000;
    const proc = await startServerProcess({
      binary: 'prosody',
      args: ['--config', configFile, '-F'],
      port: ports.c2sPort,
      cwd: dir,
      startTimeoutMs: timeoutMs,
    });
    const s2s = await waitForPort(ports.s2sPort, {
      timeoutMs,
      abortReason: () => (proc.exited ? 'prosody exited' : undefined),
    });
    if (!s2s.ok) {
      await proc.stop();
      throw new TestkitError(
        'start-failed',
        `prosody: s2s port ${ports.s2sPort}: ${s2s.reason}; output:\n${proc.output()}`,
      );
    }
    return runningPeer(opts, ports, proc, { dir, configFile, logFile: paths.logFile });
  });
}
