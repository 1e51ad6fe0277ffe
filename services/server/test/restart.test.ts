import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPostgresServer } from '@parley/testkit';
import type { PostgresServer } from '@parley/testkit';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serverEnv, spawnServer } from './server-process.js';
import { connect, waitFor } from './xmppjs.js';

/**
 * An IQ to bob's account is handled in bob's partition after the message
 * sent before it, so its answer means the message is stored.
 */
async function storedFor(c: Awaited<ReturnType<typeof connect>>): Promise<void> {
  await c.iqCaller.get(
    xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    'bob@localhost',
  );
}

describe.each(['lmdb', 'postgres'] as const)(
  '%s data survives restarts of the server process',
  (store) => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let port: number;
    let postgres: PostgresServer | undefined;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parley-restart-'));
      port = await freePort();
      if (store === 'postgres') postgres = await startPostgresServer();
      env = serverEnv(
        dir,
        port,
        postgres ? { PARLEY_STORE_KIND: 'postgres', PARLEY_STORE_POSTGRES_URL: postgres.url } : {},
      );
      if (postgres) {
        // Before the schema exists, the CLI (like the server) names the command to run.
        await expect(cli(env, 'user', 'count')).rejects.toThrow(/xmppctl postgres migrate/);
        // Every migration in deploy/postgres, from the first on.
        expect(await cli(env, 'postgres', 'migrate')).toMatch(/schema parley: applied 1(, \d+)*;/);
        expect(await cli(env, 'postgres', 'migrate')).toMatch(/schema parley is up to date/);
      }
      await cli(env, 'user', 'add', 'alice@localhost', '--password', 'secret');
      await cli(env, 'user', 'add', 'bob@localhost', '--password', 'secret');
    }, 60_000);
    afterAll(async () => {
      await postgres?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('keeps accounts, rosters and offline messages across SIGTERM and SIGKILL', async () => {
      let server = await spawnServer(env, port);
      const alice = await connect({ port, username: 'alice', resource: 'r' });
      await alice.iqCaller.set(
        xml(
          'query',
          { xmlns: 'jabber:iq:roster' },
          xml('item', { jid: 'bob@localhost', name: 'Bob' }),
        ),
      );
      await alice.send(
        xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'kept 1')),
      );
      await storedFor(alice);
      await alice.stop();
      await server.stop();
      expect(server.child.exitCode).toBe(0);

      server = await spawnServer(env, port);
      const alice2 = await connect({ port, username: 'alice', resource: 'r' });
      const roster = await alice2.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
      expect(roster.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name])).toEqual([
        ['bob@localhost', 'Bob'],
      ]);
      await alice2.send(
        xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'kept 2')),
      );
      await storedFor(alice2);
      await alice2.stop();
      process.kill(server.pid, 'SIGKILL');
      await server.stop();

      server = await spawnServer(env, port);
      try {
        const bob = await connect({ port, username: 'bob', resource: 'r' });
        const first = waitFor(
          bob,
          (el) => el.is('message') && el.getChildText('body') === 'kept 1',
        );
        const second = waitFor(
          bob,
          (el) => el.is('message') && el.getChildText('body') === 'kept 2',
        );
        await bob.send(xml('presence'));
        await first;
        await second;
        await bob.stop();
        expect(await cli(env, 'user', 'count')).toBe('2\n');
      } finally {
        await server.stop();
      }
    }, 90_000);
  },
);
