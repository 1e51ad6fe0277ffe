/**
 * Converse.js in headless Chromium, for the end-to-end tests of the web
 * transports (websocket.test.ts over RFC 7395, bosh.test.ts over XEP-0206):
 * a static page on loopback that logs in as alice@localhost/converse,
 * sends "hello from Converse.js" to a peer (bob@localhost/tcp unless told
 * otherwise: the full JID the test's TCP client was bound to) once connected, and
 * reports what happens to the test through /report.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, extname, join, normalize } from 'node:path';

export function findChromium(): string | undefined {
  const candidates = [process.env['CHROMIUM_BIN'], 'chromium', 'chromium-browser', 'google-chrome'];
  for (const c of candidates) {
    if (c === undefined || c === '') continue;
    const paths = c.includes('/')
      ? [c]
      : (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, c));
    for (const p of paths) {
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function findConverseDist(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('converse.js/package.json')), 'dist');
    statSync(join(dist, 'converse.min.js'));
    return dist;
  } catch {
    return undefined;
  }
}

/**
 * How Converse.js connects: `{ websocket_url }` (RFC 7395) or
 * `{ bosh_service_url }` (XEP-0206).
 */
export type ConverseConnection = { websocket_url: string } | { bosh_service_url: string };

/** The page: Converse.js with a tiny plugin that reports to the test through /report. */
function conversePage(connection: ConverseConnection, peer: string): string {
  const settings = {
    ...connection,
    jid: 'alice@localhost/converse',
    password: 'secret',
    auto_login: true,
    discover_connection_methods: false,
    // bob is not in alice's roster.
    allow_non_roster_messaging: true,
    whitelisted_plugins: ['parley-test'],
    assets_path: '/dist/',
    view_mode: 'fullscreen',
    loglevel: 'warn',
    play_sounds: false,
    show_desktop_notifications: false,
  };
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Parley Converse.js test</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script src="/dist/converse.min.js"></script></head>
<body><script>
function report(data) {
  fetch('/report?' + new URLSearchParams(data)).catch(() => undefined);
}
window.addEventListener('error', (e) => report({ event: 'error', message: String(e.message) }));
converse.plugins.add('parley-test', {
  initialize() {
    const { api } = this._converse;
    const { $msg } = converse.env;
    api.listen.on('connected', () => {
      report({ event: 'connected', jid: api.connection.get?.()?.jid ?? this._converse.connection?.jid ?? '' });
      api.send($msg({ to: ${JSON.stringify(peer)}, type: 'chat', id: 'cv1' }).c('body').t('hello from Converse.js'));
    });
    api.listen.on('message', (data) => {
      const stanza = data && data.stanza;
      const body = stanza && stanza.querySelector('body');
      if (body) report({ event: 'message', from: stanza.getAttribute('from'), body: body.textContent });
    });
  },
});
converse.initialize(${JSON.stringify(settings)});
</script></body></html>`;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** A static server on loopback: the page, Converse.js's dist files, and /report. */
export async function serveConverse(
  dist: string,
  connection: ConverseConnection,
  onReport: (r: Record<string, string>) => void,
  peer = 'bob@localhost/tcp',
): Promise<{ server: Server; url: string }> {
  const page = conversePage(connection, peer);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    if (url.pathname === '/report') {
      onReport(Object.fromEntries(url.searchParams));
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/dist/')) {
      const file = normalize(join(dist, url.pathname.slice('/dist/'.length)));
      if (file.startsWith(dist)) {
        try {
          if (statSync(file).isFile()) {
            res.writeHead(200, {
              'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
            });
            createReadStream(file).pipe(res);
            return;
          }
        } catch {
          // fall through to 404
        }
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

export function launchChromium(bin: string, profile: string, url: string): ChildProcess {
  const child = spawn(
    bin,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      `--user-data-dir=${profile}`,
      url,
    ],
    // Its own process group, so that stopping it also stops its renderer processes.
    {
      detached: true,
      stdio: ['ignore', 'ignore', process.env['PARLEY_TEST_LOG'] ? 'inherit' : 'ignore'],
    },
  );
  child.on('error', () => undefined);
  return child;
}

export function stopChromium(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
