/**
 * A persistent room lives in the LMDB data directory: its configuration,
 * affiliations, subject and archive (hence its history) survive restarts
 * of the server process, clean or not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServerProcess } from '@parley/testkit';
import type { ServerProcess } from '@parley/testkit';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_DISCO_INFO, Peer, errorCondition } from './scenario-helpers.js';
import {
  MUC,
  admin,
  createRoom,
  groupchat,
  isGroupchat,
  isSubject,
  join,
  mucItem,
  statusCodes,
} from './xep0045-helpers.js';
import { connect } from './xmppjs.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const NODE_ARGS = ['--conditions=source', '--import', 'tsx'];
const ROOM = `keep@${MUC}`;

async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...NODE_ARGS, CLI, ...args], { env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

describe('XEP-0045: a persistent room survives server restarts (LMDB)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  const peers: Peer[] = [];
  const login = async (user: string) => {
    const xmpp = await connect({ port, username: user, resource: 'r' });
    const p = new Peer(xmpp, xmpp.jid!.toString());
    peers.push(p);
    await p.available();
    return p;
  };
  const spawn = (): Promise<ServerProcess> =>
    startServerProcess({
      binary: process.execPath,
      args: [...NODE_ARGS, MAIN],
      port,
      env,
      startTimeoutMs: 30_000,
    });

  beforeAll(async () => {
    dir = await mkdtemp(joinPath(tmpdir(), 'parley-muc-restart-'));
    port = await freePort();
    env = {
      ...process.env,
      PARLEY_SERVER_DATA_DIR: dir,
      PARLEY_C2S_PORT: String(port),
      PARLEY_C2S_DIRECT_TLS_PORT: '0',
      PARLEY_HTTP_PORT: '0',
      PARLEY_LOG_LEVEL: 'warn',
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    };
    for (const u of ['owner', 'member', 'guest'])
      await cli(env, 'user', 'add', `${u}@localhost`, '--password', 'secret');
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(peers.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps configuration, affiliations, subject and history across SIGTERM and SIGKILL', async () => {
    let server = await spawn();
    const owner = await login('owner');
    await createRoom(owner, ROOM, 'Boss', {
      'muc#roomconfig_persistentroom': '1',
      'muc#roomconfig_roomname': 'Kept Room',
      'muc#roomconfig_membersonly': '1',
    });
    expect(
      (await admin(owner, ROOM, xml('item', { jid: 'member@localhost', affiliation: 'member' })))
        .attrs.type,
    ).toBe('result');
    await owner.send(
      xml('message', { to: ROOM, type: 'groupchat' }, xml('subject', {}, 'Kept topic')),
    );
    await owner.next(isSubject(ROOM));
    owner.mark();
    await groupchat(owner, ROOM, 'said before the restart');
    await owner.next(isGroupchat(ROOM, 'said before the restart'));
    await owner.stop();
    await server.stop();
    expect(server.child.exitCode).toBe(0);

    server = await spawn();
    const member = await login('member');
    const self = await join(member, ROOM, 'Mem');
    expect(statusCodes(self)).not.toContain(201);
    expect(mucItem(self)?.attrs.affiliation).toBe('member');
    const history = member.received(isGroupchat(ROOM, 'said before the restart', 'Boss'));
    expect(history).toHaveLength(1);
    expect(member.received(isSubject(ROOM))[0]?.getChildText('subject')).toBe('Kept topic');
    const info = await member.iq('get', ROOM, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(info.getChild('query')?.getChild('identity')?.attrs.name).toBe('Kept Room');
    // Still members-only.
    const guest = await login('guest');
    expect(errorCondition(await join(guest, ROOM, 'G', { waitSubject: false }))).toBe(
      'registration-required',
    );
    member.mark();
    await groupchat(member, ROOM, 'said after one restart');
    await member.next(isGroupchat(ROOM, 'said after one restart'));
    await member.stop();
    await guest.stop();
    process.kill(server.pid, 'SIGKILL');
    await server.stop();

    server = await spawn();
    try {
      const owner2 = await login('owner');
      const again = await join(owner2, ROOM, 'Boss');
      expect(mucItem(again)?.attrs.affiliation).toBe('owner');
      const bodies = owner2
        .received((el) => el.is('message') && el.getChild('body') !== undefined)
        .map((m) => m.getChildText('body'));
      expect(bodies).toEqual(['said before the restart', 'said after one restart']);
      const mam = await owner2.iq('set', ROOM, xml('query', { xmlns: 'urn:xmpp:mam:2' }));
      expect(mam.getChild('fin')?.getChild('set')?.getChildText('count')).toBe('2');
      await owner2.stop();
    } finally {
      await server.stop();
    }
  }, 120_000);
});
