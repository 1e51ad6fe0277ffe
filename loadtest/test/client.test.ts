import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@parley/config';
import { newAccount, startServer } from '@parley/server';
import type { RunningServer } from '@parley/server';
import { LoadClient } from '../src/client.js';
import type { LoadMechanism } from '../src/client.js';

describe('LoadClient against the in-process server', () => {
  let server: RunningServer;
  let dataDir: string;
  let port: number;
  const clients: LoadClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-loadtest-'));
    const config = loadConfig({
      env: {},
      overrides: {
        server: { domains: ['localhost'], dataDir, nodeId: 'loadtest' },
        c2s: {
          port: 0,
          host: '127.0.0.1',
          directTlsPort: 0,
          requireTls: false,
          allowPlainWithoutTls: true,
        },
        http: { port: 0 },
        store: { kind: 'memory' },
        log: { level: 'error' },
      },
    });
    server = await startServer(config);
    port = server.gateway.ports.c2s;
    for (const [jid, pw] of [
      ['sender@localhost', 'pw-sender'],
      ['receiver@localhost', 'pw-receiver'],
    ] as const) {
      await server.stores.accounts.create(await newAccount(jid, pw, config.sasl.scramIterations));
    }
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const open = async (
    jid: string,
    password: string,
    mechanism: LoadMechanism = 'PLAIN',
    resource = 'load',
  ) => {
    const c = await LoadClient.connect({ port, jid, password, mechanism, resource });
    clients.push(c);
    return c;
  };

  it('delivers 100 messages in order over PLAIN without TLS', async () => {
    // The receiver's session is available once the server reflected its initial presence.
    let reflected!: () => void;
    const available = new Promise<void>((resolve) => (reflected = resolve));
    const receiver = await LoadClient.connect({
      port,
      jid: 'receiver@localhost',
      password: 'pw-receiver',
      mechanism: 'PLAIN',
      resource: 'load',
      onStanza: (el, c) => {
        if (el.name === 'presence' && el.attr('from') === c.jid) reflected();
      },
    });
    clients.push(receiver);
    const sender = await open('sender@localhost', 'pw-sender');
    expect(receiver.jid).toBe('receiver@localhost/load');
    expect(sender.jid).toBe('sender@localhost/load');
    await available;

    const bodies: string[] = [];
    const from: string[] = [];
    const all = new Promise<void>((resolve) => {
      receiver.onMessage = (el) => {
        bodies.push(el.getChildText('body') ?? '');
        from.push(el.attr('from') ?? '');
        if (bodies.length === 100) resolve();
      };
    });
    for (let i = 0; i < 100; i++) sender.sendMessage('receiver@localhost', `m${i} <&>`);
    await all;
    expect(bodies).toEqual(Array.from({ length: 100 }, (_, i) => `m${i} <&>`));
    expect(new Set(from)).toEqual(new Set(['sender@localhost/load']));
  });

  it('authenticates with SCRAM-SHA-1 and SCRAM-SHA-256', async () => {
    const a = await open('sender@localhost', 'pw-sender', 'SCRAM-SHA-1', 'scram1');
    expect(a.jid).toBe('sender@localhost/scram1');
    await a.close();
    const b = await open('sender@localhost', 'pw-sender', 'SCRAM-SHA-256', 'scram2');
    expect(b.ready).toBe(true);
    await b.close();
  });

  it('negotiates STARTTLS when asked to', async () => {
    const c = await LoadClient.connect({
      port,
      jid: 'sender@localhost',
      password: 'pw-sender',
      mechanism: 'SCRAM-SHA-256',
      starttls: 'always',
      resource: 'tls',
    });
    clients.push(c);
    expect(c.jid).toBe('sender@localhost/tls');
    expect(c.tlsResumed).toBe(false);
    await c.close();
  });

  it('resumes the TLS session of its previous login when given a session cache', async () => {
    const tlsSessions = new Map<string, Buffer>();
    const login = async (resource: string) => {
      const c = await LoadClient.connect({
        port,
        jid: 'sender@localhost',
        password: 'pw-sender',
        mechanism: 'SCRAM-SHA-256',
        starttls: 'always',
        resource,
        tlsSessions,
      });
      clients.push(c);
      return c;
    };
    const first = await login('tls1');
    expect(first.tlsResumed).toBe(false);
    // The server's session ticket arrives after the handshake.
    await vi.waitFor(() => expect(tlsSessions.has('sender@localhost')).toBe(true));
    await first.close();
    const second = await login('tls2');
    expect(second.tlsResumed).toBe(true);
    expect(second.jid).toBe('sender@localhost/tls2');
    await second.close();
  });

  it('rejects a wrong password', async () => {
    await expect(
      LoadClient.connect({ port, jid: 'sender@localhost', password: 'wrong', timeoutMs: 10_000 }),
    ).rejects.toThrow(/not-authorized/);
  });
});
