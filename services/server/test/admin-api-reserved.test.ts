/**
 * Issue 15: whoever registered `admin-api@<domain>` (the admin API's MUC
 * identity, listed in muc.admins as docs/admin-api.md says) owned every
 * room. The name is reserved: the admin API and in-band registration refuse
 * it, and an account of that name made before cannot log in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const ROOM = 'private@conference.localhost';

describe('a user named admin-api gains no room ownership', () => {
  let t: AdminTestServer;
  const clients: XmppClient[] = [];
  beforeAll(async () => {
    t = await startAdminTestServer({ registration: { enabled: true } });
    await t.addUser('alice');
    const created = await t.api('POST', '/api/muc/rooms', { room: ROOM, owner: 'alice@localhost' });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  it('the admin API refuses to register admin-api', async () => {
    const res = await t.api('POST', '/api/users', { jid: 'admin-api@localhost', password: 'pw' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'bad-request' });
    expect(JSON.stringify(res.body)).toContain('reserved');
    expect(await t.server.stores.accounts.get('admin-api@localhost')).toBeUndefined();
  });

  it('an admin-api account that exists anyway cannot log in, so cannot act as the room owner', async () => {
    // Made before the name was reserved (or behind the server's back).
    await t.server.stores.accounts.delete('admin-api@localhost');
    await t.addUser('admin-api', 'mallory');
    let client: XmppClient | undefined;
    let error: unknown;
    try {
      client = await connect({ port: t.port, username: 'admin-api', password: 'mallory' });
      clients.push(client);
    } catch (err) {
      error = err;
    }
    if (client !== undefined) {
      // Before the fix: logged in as a service admin, it reads the owner-only configuration.
      const reply = await client.iqCaller
        .request(
          xml(
            'iq',
            { type: 'get', to: ROOM },
            xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }),
          ),
        )
        .then(() => 'owner')
        .catch(() => 'refused');
      expect(reply).toBe('refused');
    }
    expect(error).toBeDefined();
    // The API itself still acts on the room as the reserved identity.
    expect((await t.api('GET', `/api/muc/rooms/${ROOM}/config`)).status).toBe(200);
  });
});

describe('xmppctl user add', () => {
  it('refuses the reserved name with a clear error', () => {
    const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'parley-reserved-'));
    try {
      const env = {
        ...process.env,
        PARLEY_SERVER_DATA_DIR: dir,
        PARLEY_SERVER_DOMAINS: 'localhost',
        // The audit records go to this file instead of standard error.
        PARLEY_ADMIN_AUDIT_LOG: join(dir, 'audit.log'),
      };
      const add = (jid: string) =>
        spawnSync(process.execPath, [cli, 'user', 'add', jid, '--password', 'pw'], {
          env,
          encoding: 'utf8',
        });
      const refused = add('admin-api@localhost');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('reserved');
      const ok = add('alice@localhost');
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
