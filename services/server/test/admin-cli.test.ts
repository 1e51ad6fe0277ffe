/** `xmppctl api`: the admin API operations from the command line, read from /openapi.json. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runApiCommand } from '../src/admin-cli.js';
import type { ApiCliIo } from '../src/admin-cli.js';
import { TOKENS, startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';

describe('xmppctl api', () => {
  let t: AdminTestServer;
  let out: string[];
  let err: string[];
  let io: ApiCliIo;
  const run = async (...argv: string[]) => {
    out = [];
    err = [];
    return runApiCommand(argv, io);
  };

  beforeAll(async () => {
    t = await startAdminTestServer();
    const app = t.server.adminApi!.app;
    io = {
      // HTTP through fastify's inject: the same requests the CLI sends over a socket.
      fetch: async (url, init) => {
        const u = new URL(url);
        const res = await app.inject({
          method: init.method as 'GET',
          url: u.pathname + u.search,
          headers: init.headers,
          ...(init.body !== undefined ? { payload: init.body } : {}),
        });
        return {
          status: res.statusCode,
          headers: {
            get: (n: string) => (res.headers[n.toLowerCase()] as string | undefined) ?? null,
          },
          text: async () => res.body,
        };
      },
      env: { PARLEY_ADMIN_TOKEN: TOKENS.admin },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      defaultUrl: () => 'http://127.0.0.1:5285',
    };
  });
  afterAll(async () => t.stop());

  it('lists the operations of the document and explains one', async () => {
    expect(await run('list')).toBe(0);
    const text = out.join('\n');
    for (const id of ['registerUser', 'kickUser', 'sendMessage', 'createRoom', 'getStats'])
      expect(text).toContain(id);
    expect(await run('help', 'registerUser')).toBe(0);
    expect(out.join('\n')).toContain('--password <string> (required)');
  });

  it('runs operations with named, positional and typed parameters', async () => {
    expect(await run('registerUser', '--jid', 'cli@localhost', '--password', 'pw')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ jid: 'cli@localhost' });
    expect(await run('register-user', '--jid=cli2@localhost', '--password=pw')).toBe(0);
    expect(await run('getUser', 'cli@localhost')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ jid: 'cli@localhost', banned: false });
    expect(await run('listUsers', '--limit', '1', '--all')).toBe(0);
    expect(JSON.parse(out.join('\n')).items.map((u: { jid: string }) => u.jid)).toEqual([
      'cli2@localhost',
      'cli@localhost',
    ]);
    expect(await run('subscribeAllToAll', '--users', 'cli@localhost,cli2@localhost')).toBe(0);
    expect(out).toEqual(['ok (204)']);
    expect(await run('setPresence', 'cli@localhost', 'phone', '--priority', '3')).toBe(1);
    expect(err.join('\n')).toMatch(/error 404 not-found/);
    expect(await run('getMetrics')).toBe(0);
    expect(out.join('\n')).toContain('parley_');
  });

  it('reports errors and refuses unknown operations and parameters', async () => {
    expect(await run('registerUser', '--jid', 'cli@localhost', '--password', 'pw')).toBe(1);
    expect(err.join('\n')).toMatch(/^error 409 conflict/);
    await expect(run('fooBar')).rejects.toThrow(/no operation "fooBar"/);
    await expect(run('getUser', 'a@localhost', '--nope', '1')).rejects.toThrow(
      /no parameter --nope/,
    );
    await expect(run('registerUser', '--jid', 'x@localhost')).rejects.toThrow(/needs --password/);
    io.env = {};
    await expect(run('getStats')).rejects.toThrow(/no token/);
    io.env = { PARLEY_ADMIN_TOKEN: TOKENS.read };
    expect(await run('removeUser', 'cli@localhost')).toBe(1);
    expect(err.join('\n')).toMatch(/error 403 insufficient-scope/);
    io.env = { PARLEY_ADMIN_TOKEN: TOKENS.admin };
  });

  it('prints the usage: 0 when asked for it, 2 without a command', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['getUser', '--help']]) {
      expect(await run(...argv)).toBe(0);
      expect(out.join('\n')).toContain('xmppctl api list');
    }
    expect(await run()).toBe(2);
    expect(out.join('\n')).toContain('xmppctl api help <operation>');
  });

  it('refuses bad usage with a message naming the operation and the option', async () => {
    await expect(run('getUser', 'a@localhost', '-x')).rejects.toThrow(
      'getUser has no parameter -x (xmppctl api help getUser)',
    );
    await expect(run('registerUser', '--password', 'pw', '--jid')).rejects.toThrow(
      "registerUser: Option '--jid <value>' argument missing",
    );
    await expect(run('listUsers', '--all=yes')).rejects.toThrow(
      "listUsers: Option '--all' does not take an argument",
    );
    await expect(run('getStats', '--url')).rejects.toThrow(
      "Option '--url <value>' argument missing",
    );
    await expect(run('getUser', 'a@localhost', 'extra')).rejects.toThrow(
      'getUser takes 1 path value(s)',
    );
    await expect(run('registerUser', '--body', '[1]')).rejects.toThrow(
      '--body expects a JSON object, got "[1]"',
    );
    await expect(run('list', '--nope')).rejects.toThrow("list: Unknown option '--nope'");
    await expect(run('gen-token', '--scope', 'read')).rejects.toThrow(
      "gen-token: Unknown option '--scope'",
    );
  });

  it('takes the body as JSON, completed by named parameters, and options in any order', async () => {
    expect(
      await run(
        '--token',
        TOKENS.admin,
        'registerUser',
        '--body',
        '{"jid":"body@localhost"}',
        '--password',
        'pw',
      ),
    ).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ jid: 'body@localhost' });
    expect(await run('getUser', '--url', 'http://127.0.0.1:5285/', 'body@localhost')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ jid: 'body@localhost' });
  });

  it("gives --body to an operation's own body parameter (sendMessage's text)", async () => {
    const send = ['sendMessage', '--from', 'admin@localhost', '--to', 'cli@localhost'];
    expect(await run(...send, '--id', 'cli-body', '--body', 'hi from the CLI')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual({ id: 'cli-body' });
    await vi.waitFor(async () => {
      expect(await run('listOfflineMessages', 'cli@localhost')).toBe(0);
      const stored = out.join('\n');
      expect(stored).toContain('cli-body');
      expect(stored).toContain('hi from the CLI');
    });
    await expect(run(...send)).rejects.toThrow('sendMessage needs --body');
  });

  it('makes a token and its configuration entry', async () => {
    expect(
      await run('gen-token', '--name', 'ops', '--scopes', 'read', '--domains', 'example.net'),
    ).toBe(0);
    const token = out[0]!.replace('token: ', '');
    const entry = JSON.parse(out[1]!.replace('admin.tokens entry: ', ''));
    expect(entry).toEqual({
      name: 'ops',
      sha256: createHash('sha256').update(token).digest('hex'),
      scopes: ['read'],
      domains: ['example.net'],
    });
  });
});
