/**
 * A persistent room lives in the LMDB data directory: its configuration,
 * affiliations, subject and archive (hence its history) survive restarts
 * of the server process, clean or not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { freePort } from '@parley/testkit';
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
import { cli, serverEnv, spawnServer } from './server-process.js';
import { connect } from './xmppjs.js';

const ROOM = `keep@${MUC}`;

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
  const spawn = (): Promise<ServerProcess> => spawnServer(env, port);

  beforeAll(async () => {
    dir = await mkdtemp(joinPath(tmpdir(), 'parley-muc-restart-'));
    port = await freePort();
    env = serverEnv(dir, port);
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
