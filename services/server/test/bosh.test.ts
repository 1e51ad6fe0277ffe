/**
 * XMPP over BOSH (XEP-0124, XEP-0206) end to end: Converse.js in headless
 * Chromium on the all-in-one server chatting with a TCP client; and a
 * local cluster (two gateway processes over NATS) behind a round-robin
 * HTTP balancer without sticky sessions, so that every other request of a
 * BOSH session lands on the gateway that does not hold it and is forwarded
 * over the bus: a raw client and Converse.js both log in and chat through it.
 * The Converse.js parts are skipped, saying why, when Chromium is not installed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { BoshTestClient, freePort } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  findChromium,
  findConverseDist,
  launchChromium,
  serveConverse,
  stopChromium,
} from './converse-harness.js';
import type { ConverseConnection } from './converse-harness.js';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { WAIT, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const chromium = findChromium();
const converseDist = findConverseDist();
const skipBrowser =
  chromium === undefined
    ? 'Chromium is not installed (apt-get install chromium, or set CHROMIUM_BIN)'
    : converseDist === undefined
      ? 'converse.js is not installed in node_modules'
      : undefined;
if (skipBrowser !== undefined) console.log(`skipping the Converse.js BOSH tests: ${skipBrowser}`);

function chat(to: string, id: string, body: string): Element {
  return xml('message', { to, id, type: 'chat' }, xml('body', {}, body));
}

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`waiting for ${what}`);
  return value;
}

/**
 * Converse.js logs in as alice over `connection`, sends "hello from
 * Converse.js" to bob (a TCP client), and must show bob's answer.
 */
async function converseChats(bob: XmppClient, connection: ConverseConnection): Promise<void> {
  const reports: Record<string, string>[] = [];
  // The resource the server gave bob (with Bind2 it is not just the one asked for).
  const bobJid = bob.jid!.toString();
  const site = await serveConverse(converseDist!, connection, (r) => reports.push(r), bobJid);
  const profile = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
  let browser: ChildProcess | undefined;
  try {
    const atBob = waitFor(
      bob,
      (el) => el.is('message') && el.getChildText('body') === 'hello from Converse.js',
      60_000,
    );
    browser = launchChromium(chromium!, profile, site.url);
    const connected = await vi.waitFor(
      () =>
        present(
          reports.find((r) => r['event'] === 'connected' || r['event'] === 'error'),
          'Converse.js to connect',
        ),
      { ...WAIT, timeout: 60_000 },
    );
    expect(connected['event']).toBe('connected');
    const alice = connected['jid']!;
    expect(alice.startsWith('alice@localhost/converse')).toBe(true);
    expect((await atBob).attrs.from).toBe(alice);
    await bob.send(chat(alice, 'cb2', 'hello Converse.js'));
    const got = await vi.waitFor(
      () =>
        present(
          reports.find((r) => r['event'] === 'message' && r['body'] === 'hello Converse.js'),
          'the message to show up in Converse.js',
        ),
      { ...WAIT, timeout: 30_000 },
    );
    expect(got['from']).toBe(bobJid);
    expect(reports.filter((r) => r['event'] === 'error')).toEqual([]);
  } finally {
    stopChromium(browser);
    await new Promise((r) => site.server.close(r));
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('XMPP over BOSH end to end (all-in-one server)', () => {
  let t: TestServer;
  let boshUrl: string;

  beforeAll(async () => {
    t = await startTestServer({
      websocket: {
        enabled: true,
        listeners: ['ws'],
        port: 0,
        host: '127.0.0.1',
        plainIsSecure: true,
      },
      bosh: { enabled: true },
    });
    boshUrl = `http://127.0.0.1:${t.server.gateway.ports.websocket}/http-bind`;
    for (const u of ['alice', 'bob']) await t.addUser(u);
  });

  afterAll(async () => {
    await t.stop();
  });

  it.skipIf(skipBrowser !== undefined)(
    'Converse.js in headless Chromium logs in over BOSH and chats with a TCP client',
    { timeout: 120_000 },
    async () => {
      const bob = await connect({ port: t.port, username: 'bob', resource: 'tcp' });
      try {
        await converseChats(bob, { bosh_service_url: boshUrl });
        expect(await t.server.metrics.text()).toMatch(
          /parley_c2s_connections\{[^}]*transport="bosh"[^}]*\} [01]\b/,
        );
      } finally {
        await bob.stop();
      }
    },
  );
});

/** An HTTP balancer on loopback that sends each request to the next backend in turn. */
async function roundRobin(
  ports: number[],
): Promise<{ server: Server; url: string; hits: number[] }> {
  const hits = ports.map(() => 0);
  let next = 0;
  const server = createServer((req, res) => {
    const i = next++ % ports.length;
    hits[i]!++;
    const up = request(
      {
        host: '127.0.0.1',
        port: ports[i],
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/http-bind`, hits };
}

describe('BOSH across the gateways of a local cluster, behind a balancer without sticky sessions', () => {
  let t: TestCluster;
  let lb: Awaited<ReturnType<typeof roundRobin>>;
  const boshPorts: number[] = [];

  beforeAll(async () => {
    boshPorts.push(await freePort(), await freePort());
    t = await startTestCluster(['alice', 'bob', 'carol', 'dan'], {
      gateways: 2,
      env: {
        PARLEY_WEBSOCKET_ENABLED: 'true',
        PARLEY_WEBSOCKET_LISTENERS: 'ws',
        PARLEY_WEBSOCKET_HOST: '127.0.0.1',
        PARLEY_WEBSOCKET_PLAIN_IS_SECURE: 'true',
        PARLEY_BOSH_ENABLED: 'true',
      },
      envFor: (kind, name): Record<string, string> =>
        kind === 'gateway'
          ? { PARLEY_WEBSOCKET_PORT: String(boshPorts[Number(name.split('-')[1]) - 1]) }
          : {},
    });
    lb = await roundRobin(boshPorts);
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => lb?.server.close(r));
    await t?.stop();
  }, 60_000);

  it('a raw BOSH client logs in and chats while every other request lands on the other gateway', async () => {
    const dan = await connect({ port: t.port(1), username: 'dan', resource: 'tcp' });
    try {
      const c = new BoshTestClient(lb.url);
      await c.create({ wait: '5' });
      const jid = await c.login('carol', 'secret', 'lb');
      expect(jid).toBe('carol@localhost/lb');
      // Both gateways took requests of this one session.
      expect(lb.hits.every((n) => n >= 2)).toBe(true);

      const danJid = dan.jid!.toString();
      const atDan = waitFor(dan, (el) => el.is('message') && el.attrs.id === 'b1');
      const up = c.send(
        `<message xmlns='jabber:client' to='${danJid}' id='b1' type='chat'><body>via BOSH</body></message>`,
      );
      expect((await atDan).attrs.from).toBe('carol@localhost/lb');
      // Long poll through the balancer: dan's answer comes back in a held request.
      const poll = c.send();
      await dan.send(chat('carol@localhost/lb', 'b2', 'via TCP'));
      const answers = await Promise.all([up, poll]);
      const message = answers.map((a) => a.body.getChild('message')).find((m) => m !== undefined);
      expect(message?.attr('id')).toBe('b2');
      expect(message?.getChildText('body')).toBe('via TCP');
      const bye = await c.send('', { type: 'terminate' });
      expect(bye.body.attr('type')).toBe('terminate');
    } finally {
      await dan.stop();
    }
  });

  it.skipIf(skipBrowser !== undefined)(
    'Converse.js logs in and chats through the balancer',
    { timeout: 120_000 },
    async () => {
      const bob = await connect({ port: t.port(0), username: 'bob', resource: 'tcp' });
      try {
        const before = [...lb.hits];
        await converseChats(bob, { bosh_service_url: lb.url });
        expect(lb.hits.every((n, i) => n - before[i]! >= 2)).toBe(true);
      } finally {
        await bob.stop();
      }
    },
  );
});
