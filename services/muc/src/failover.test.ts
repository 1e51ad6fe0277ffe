import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { RedisOwnership, connectRedis } from '@parley/cluster';
import type { Redis } from '@parley/cluster';
import { openMemoryStores } from '@parley/store';
import { startRedisWithClients } from '@parley/testkit';
import type { RedisWithClients } from '@parley/testkit';
import { xml } from '@parley/xml';
import { NS_MUC_USER, NS_OCCUPANT_ID } from './ns.js';
import { RedisMucStateStore } from './state-store.js';
import { MucHarness, SERVICE, codes, form } from './testing/harness.js';

const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const C = 'carol@localhost/c';

describe('hot room state mirrored in Redis: a new owner takes over with the occupants', () => {
  let suite: RedisWithClients<Redis>;
  const redis = () => suite.connect();
  beforeAll(async () => {
    suite = await startRedisWithClients((url) => connectRedis(url, 'muc-test'));
  });
  afterAll(() => suite.stop());

  it('restores temporary and persistent rooms, occupants, roles and history on another worker', async () => {
    const stores = openMemoryStores();
    const temp = `temp@${SERVICE}`;
    const kept = `kept@${SERVICE}`;
    const first = await MucHarness.start({
      stores,
      stateStore: new RedisMucStateStore(redis(), 16),
    });
    await first.createInstant(temp, 'alice', A, form({ 'muc#roomconfig_roomname': 'Temp' }));
    await first.createInstant(kept, 'alice', A, form({ 'muc#roomconfig_persistentroom': '1' }));
    for (const room of [temp, kept]) {
      await first.join(room, 'bob', B);
      await first.join(room, 'carol', C);
      await first.message(A, room, 'groupchat', xml('body', {}, `before in ${room}`));
      await first.message(A, room, 'groupchat', xml('subject', {}, 'Kept subject'));
    }
    await first.iq(
      A,
      temp,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#admin' },
        xml('item', { nick: 'carol', role: 'visitor' }),
      ),
    );
    const occupantId = first.log
      .find((el) => el.attr('from') === `${temp}/alice` && el.name === 'presence')
      ?.getChild('occupant-id', NS_OCCUPANT_ID)
      ?.attr('id');
    expect(occupantId).toBeDefined();
    // The worker goes away without telling anyone (its memory is gone; Redis keeps the hot state).
    await first.close();

    const second = await MucHarness.start({
      stores,
      stateStore: new RedisMucStateStore(redis(), 16),
      bus: new MemoryBus(),
    });
    expect(second.service.occupantCount()).toBe(6);
    for (const room of [temp, kept]) {
      await second.message(B, room, 'groupchat', xml('body', {}, `after in ${room}`));
      for (const who of [A, B, C])
        expect(second.to(who, (el) => el.getChildText('body') === `after in ${room}`)).toHaveLength(
          1,
        );
    }
    // Roles survive: carol is still a visitor in the temporary room.
    await second.message(C, temp, 'groupchat', xml('body', {}, 'may I'));
    expect(second.to(C)[0]?.attr('type')).toBe('error');
    // History and subject survive; occupant ids stay stable.
    const dave = await second.join(temp, 'dave', 'dave@localhost/d');
    expect(dave.some((el) => el.getChildText('body') === `before in ${temp}`)).toBe(true);
    expect(dave[dave.length - 1]?.getChildText('subject')).toBe('Kept subject');
    expect(
      dave
        .find((el) => el.attr('from') === `${temp}/alice`)
        ?.getChild('occupant-id', NS_OCCUPANT_ID)
        ?.attr('id'),
    ).toBe(occupantId);
    const info = await second.iq(
      B,
      temp,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(info.getChild('query')?.getChild('identity')?.attr('name')).toBe('Temp');

    // Everyone leaves the temporary room: it is gone, from Redis too.
    for (const [who, nick] of [
      [A, 'alice'],
      [B, 'bob'],
      [C, 'carol'],
      ['dave@localhost/d', 'dave'],
    ] as const)
      await second.send(xml('presence', { from: who, to: `${temp}/${nick}`, type: 'unavailable' }));
    const left = await new RedisMucStateStore(redis(), 16).temporaryRooms();
    expect(left.map((m) => m.jid)).not.toContain(temp);
    await second.close();
  });

  it('an occupant that leaves while the partition has no owner is removed on takeover', async () => {
    const stores = openMemoryStores();
    const room = `gap@${SERVICE}`;
    const state = new RedisMucStateStore(redis(), 16);
    const first = await MucHarness.start({ stores, stateStore: state });
    await first.createInstant(room, 'alice', A);
    await first.join(room, 'bob', B);
    await first.close();
    // Bob's unavailable presence waits in the (durable) partition; the new owner handles it.
    const bus = new MemoryBus();
    const second = await MucHarness.start({ stores, stateStore: state, bus });
    await second.send(xml('presence', { from: B, to: `${room}/bob`, type: 'unavailable' }));
    const gone = second.to(A, (el) => el.attr('from') === `${room}/bob`)[0];
    expect(gone?.attr('type')).toBe('unavailable');
    expect(gone?.getChild('x', NS_MUC_USER)).toBeDefined();
    expect(codes(second.to(B)[0])).toContain(110);
    await second.close();
  });

  it('MUC workers own the MUC partitions apart from registry workers (ownership group)', async () => {
    const acquired = { registry: [] as number[], muc: [] as number[] };
    const owners: RedisOwnership[] = [];
    const start = (group: 'registry' | 'muc') => {
      const o = new RedisOwnership({ redis: redis(), workerId: 'same-node', partitions: 4, group });
      owners.push(o);
      return o.start({
        acquire: async (p) => void acquired[group].push(p),
        release: async () => undefined,
      });
    };
    await start('registry');
    await start('muc');
    expect(acquired.registry.sort()).toEqual([0, 1, 2, 3]);
    expect(acquired.muc.sort()).toEqual([0, 1, 2, 3]);
    const members = await redis().zrange('parley:members:muc', '0', '-1');
    expect(members).toEqual(['same-node']);
    expect(await redis().get('parley:lease:muc:0')).toBe('same-node');
    for (const o of owners) await o.stop();
  });
});
