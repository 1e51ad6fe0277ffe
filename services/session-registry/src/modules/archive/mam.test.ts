import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import type { Config } from '@parley/config';
import { bareOf } from '@parley/jid';
import { NS_MAM, NS_RSM, NS_SID, getStanzaId } from '@parley/mam';
import type { Envelope, GatewayMessage, RegistryMessage } from '@parley/routing';
import { gatewaySubject } from '@parley/routing';
import { NS_CARBONS } from '@parley/stanza';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger } from '@parley/telemetry';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { SessionRegistry } from '../../registry.js';
import {
  bindResource,
  createTestAccount,
  publishTo,
  registryTestConfig,
  settleRegistry,
  startTestRegistry,
} from '../../../test/bus-fixture.js';

const D = 'example.org';
const ALICE = `alice@${D}`;
const BOB = `bob@${D}`;
const GW = 'gw1';

interface Delivery {
  conn: string;
  el: Element;
  env: Envelope;
}

let bus: MemoryBus;
let stores: Stores;
let registry: SessionRegistry;
let config: Config;
let delivered: Delivery[];
let ts = 1_000_000;

async function start(patch: (c: Config) => void = () => undefined): Promise<void> {
  config = registryTestConfig(4, D);
  patch(config);
  bus = new MemoryBus();
  stores = openMemoryStores();
  delivered = [];
  bus.subscribe(gatewaySubject(GW), (msg) => {
    const m = msg.data as GatewayMessage;
    if (m.t === 'deliver') delivered.push({ conn: m.conn, el: parseXml(m.env.xml), env: m.env });
  });
  registry = await startTestRegistry({
    config,
    bus,
    stores,
    logger: createLogger({ service: 'test', level: 'error', sink: () => undefined }),
  });
  for (const jid of [ALICE, BOB]) await createTestAccount(stores, jid);
}

const settle = () => settleRegistry(bus, registry);
const publish = (bare: string, msg: RegistryMessage) => publishTo(bus, config, bare, msg);

/** Binds `bare/resource` on connection `conn` and sends initial presence. */
async function login(bare: string, resource: string, conn: string): Promise<void> {
  await bindResource(bus, config, { bare, resource, gw: GW, conn });
  send(`${bare}/${resource}`, conn, '<presence/>');
  await settle();
}

/** A client stanza as the gateway publishes it (stage 'out', stamped from, connection, time). */
function clientEnv(from: string, conn: string, xmlText: string): Envelope {
  const el = parseXml(xmlText);
  el.setAttr('from', from);
  const env: Envelope = {
    stage: 'out',
    kind: el.name as Envelope['kind'],
    type: el.attr('type') ?? '',
    from,
    to: el.attr('to') ?? '',
    xml: el.toString(),
    gw: GW,
    conn,
    ts: ts++ + 0.25,
  };
  const id = el.attr('id');
  if (id !== undefined) env.id = id;
  return env;
}

function send(from: string, conn: string, xmlText: string): Envelope {
  const env = clientEnv(from, conn, xmlText);
  publish(bareOf(from), { t: 'stanza', env });
  return env;
}

function chat(to: string, body: string, extra = '', type = 'chat'): string {
  return `<message xmlns='jabber:client' to='${to}' type='${type}' id='${body}'><body>${body}</body>${extra}</message>`;
}

const to = (conn: string) => delivered.filter((d) => d.conn === conn).map((d) => d.el);
const messagesTo = (conn: string) => to(conn).filter((e) => e.name === 'message');
const archive = async (owner: string) => (await stores.archive.query(owner, { limit: 1000 })).items;

beforeEach(() => start());
afterEach(async () => {
  await registry.close();
  await stores.close();
});

describe('mam module: archiving', () => {
  beforeEach(async () => {
    await login(ALICE, 'a', 'ca');
    await login(BOB, 'b', 'cb');
    delivered.length = 0;
  });

  it('archives a chat message in both archives and stamps the recipient copy', async () => {
    send(`${ALICE}/a`, 'ca', chat(BOB, 'hello'));
    await settle();
    const [msg] = messagesTo('cb');
    const [inBob] = await archive(BOB);
    const [inAlice] = await archive(ALICE);
    expect(msg!.getChildText('body')).toBe('hello');
    expect(getStanzaId(msg!, BOB)).toBe(inBob!.id);
    expect(getStanzaId(msg!, ALICE)).toBeUndefined();
    expect(inBob).toMatchObject({ with: ALICE, withResource: 'a' });
    expect(inAlice).toMatchObject({ with: BOB });
    expect(inAlice!.withResource).toBeUndefined();
    // The archived copies carry no stanza-id of their own archive.
    expect(inBob!.xml).not.toContain(NS_SID);
    expect(parseXml(inAlice!.xml).getChildText('body')).toBe('hello');
  });

  it('archives a redelivered message once, under the same stanza-id', async () => {
    const env = send(`${ALICE}/a`, 'ca', chat(BOB, 'once'));
    await settle();
    // The worker crashed before acknowledging: both stages see the message again.
    publish(ALICE, { t: 'stanza', env });
    publish(BOB, { t: 'stanza', env: { ...env, stage: 'in' } });
    await settle();
    const copies = messagesTo('cb');
    expect(copies.length).toBeGreaterThanOrEqual(2);
    const ids = new Set(copies.map((m) => getStanzaId(m, BOB)));
    expect(ids.size).toBe(1);
    expect(await archive(BOB)).toHaveLength(1);
    expect(await archive(ALICE)).toHaveLength(1);
    expect([...ids][0]).toBe((await archive(BOB))[0]!.id);
  });

  it('archives again after the partition moved (cache gone) and still dedupes', async () => {
    const env = send(`${ALICE}/a`, 'ca', chat(BOB, 'moved'));
    await settle();
    const first = getStanzaId(messagesTo('cb')[0]!, BOB);
    // A new worker takes over with the same stores.
    await registry.close();
    registry = await startTestRegistry({
      config,
      bus,
      stores,
      logger: createLogger({ service: 'test', level: 'error', sink: () => undefined }),
    });
    await login(BOB, 'b', 'cb2');
    publish(BOB, { t: 'stanza', env: { ...env, stage: 'in' } });
    await settle();
    const again = messagesTo('cb2').find((m) => m.getChildText('body') === 'moved');
    expect(getStanzaId(again!, BOB)).toBe(first);
    expect(await archive(BOB)).toHaveLength(1);
  });

  it('keeps each archive in the order its owner sent and received', async () => {
    for (let i = 0; i < 30; i++)
      send(
        i % 2 ? `${BOB}/b` : `${ALICE}/a`,
        i % 2 ? 'cb' : 'ca',
        chat(i % 2 ? ALICE : BOB, `m${i}`),
      );
    await settle();
    for (const [owner, conn] of [
      [ALICE, 'ca'],
      [BOB, 'cb'],
    ] as const) {
      const items = await archive(owner);
      expect(items).toHaveLength(30);
      const bodies = items.map((m) => parseXml(m.xml).getChildText('body')!);
      const n = (b: string) => Number(b.slice(1));
      // Each sender's messages in the order sent...
      for (const parity of [0, 1]) {
        const mine = bodies.filter((b) => n(b) % 2 === parity).map(n);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      // ...and what the owner received in the order it was delivered, with matching ids.
      const got = messagesTo(conn);
      const received = items.filter(
        (m) => m.with !== owner && parseXml(m.xml).attr('to') === owner,
      );
      expect(received.map((m) => m.id)).toEqual(got.map((m) => getStanzaId(m, owner)));
    }
  });

  it('removes a stanza-id claiming the recipient archive that came from outside', async () => {
    const forged = `<stanza-id xmlns='${NS_SID}' by='${BOB}' id='forged'/><stanza-id xmlns='${NS_SID}' by='room@muc.${D}' id='keep'/>`;
    send(`${ALICE}/a`, 'ca', chat(BOB, 'x', forged));
    send(`${ALICE}/a`, 'ca', chat(BOB, 'y', forged, 'headline'));
    await settle();
    const [chatMsg, headline] = messagesTo('cb');
    expect(getStanzaId(chatMsg!, BOB)).not.toBe('forged');
    expect(chatMsg!.getChildren('stanza-id', NS_SID)).toHaveLength(2);
    expect(getStanzaId(chatMsg!, `room@muc.${D}`)).toBe('keep');
    expect(getStanzaId(headline!, BOB)).toBeUndefined();
    expect(getStanzaId(headline!, `room@muc.${D}`)).toBe('keep');
  });

  it.each([
    ['case', 'Bob@Example.ORG'],
    ['trailing dot', `${BOB}.`],
    ['width', `\uff42ob@${D}`],
    ['a resource', `${BOB}/x`],
    ['not a JID', `${BOB}/`],
  ])(
    'removes a forged stanza-id whose by is a variant of the recipient (%s), archived or not',
    async (_what, by) => {
      const forged = `<stanza-id xmlns='${NS_SID}' by='${by}' id='forged'/><stanza-id xmlns='${NS_SID}' by='room@muc.${D}' id='keep'/>`;
      send(`${ALICE}/a`, 'ca', chat(BOB, 'x', forged));
      send(`${ALICE}/a`, 'ca', chat(BOB, 'y', forged, 'headline'));
      send(
        `${ALICE}/a`,
        'ca',
        `<message to='${BOB}' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/>${forged}</message>`,
      );
      await settle();
      const got = messagesTo('cb');
      expect(got).toHaveLength(3);
      for (const msg of got) {
        const ids = msg.getChildren('stanza-id', NS_SID);
        expect(ids.map((e) => e.attr('id'))).not.toContain('forged');
        expect(getStanzaId(msg, `room@muc.${D}`)).toBe('keep');
      }
    },
  );

  it('never lets a client send a stanza-id in its own archive name', async () => {
    send(
      `${ALICE}/a`,
      'ca',
      chat(BOB, 'x', `<stanza-id xmlns='${NS_SID}' by='${ALICE}' id='mine'/>`),
    );
    await settle();
    expect(getStanzaId(messagesTo('cb')[0]!, ALICE)).toBeUndefined();
  });

  it.each([
    ['groupchat', chat(BOB, 'g', '', 'groupchat')],
    ['headline', chat(BOB, 'h', '', 'headline')],
    ['error', chat(BOB, 'e', '', 'error')],
    [
      'no body',
      `<message to='${BOB}' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    ],
    ['no-store', chat(BOB, 'n', "<no-store xmlns='urn:xmpp:hints'/>")],
    ['no-permanent-store', chat(BOB, 'p', "<no-permanent-store xmlns='urn:xmpp:hints'/>")],
  ])('does not archive %s messages', async (_what, stanza) => {
    send(`${ALICE}/a`, 'ca', stanza);
    await settle();
    expect(await archive(BOB)).toHaveLength(0);
    expect(await archive(ALICE)).toHaveLength(0);
  });

  it('archives normal messages with a body and messages with a store hint', async () => {
    send(`${ALICE}/a`, 'ca', `<message to='${BOB}'><body>plain</body></message>`);
    send(
      `${ALICE}/a`,
      'ca',
      chat(BOB, 's', "<no-permanent-store xmlns='urn:xmpp:hints'/><store xmlns='urn:xmpp:hints'/>"),
    );
    // A reaction (XEP-0444) and a chat marker (XEP-0333) carry no body but ask to be stored.
    send(
      `${ALICE}/a`,
      'ca',
      `<message to='${BOB}' type='chat' id='r1'><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>`,
    );
    send(
      `${ALICE}/a`,
      'ca',
      `<message to='${BOB}' type='chat' id='d1'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/><store xmlns='urn:xmpp:hints'/></message>`,
    );
    await settle();
    const items = await archive(BOB);
    expect(items).toHaveLength(4);
    expect(items.some((i) => i.xml.includes('urn:xmpp:reactions:0'))).toBe(true);
    expect(items.some((i) => i.xml.includes('urn:xmpp:chat-markers:0'))).toBe(true);
  });

  it('archives a message to oneself once', async () => {
    await login(ALICE, 'a2', 'ca2');
    send(`${ALICE}/a`, 'ca', chat(ALICE, 'note'));
    await settle();
    const items = await archive(ALICE);
    expect(items).toHaveLength(1);
    const got = messagesTo('ca2').find((m) => m.getChildText('body') === 'note');
    expect(getStanzaId(got!, ALICE)).toBe(items[0]!.id);
  });

  it('archives messages stored offline, which keep their stanza-id', async () => {
    publish(BOB, { t: 'unbind', jid: `${BOB}/b`, gw: GW, conn: 'cb' });
    await settle();
    send(`${ALICE}/a`, 'ca', chat(BOB, 'while away'));
    await settle();
    const [entry] = await archive(BOB);
    expect(entry).toBeDefined();
    await login(BOB, 'b', 'cb3');
    const got = messagesTo('cb3').find((m) => m.getChildText('body') === 'while away');
    expect(getStanzaId(got!, BOB)).toBe(entry!.id);
  });

  it('still delivers, without a stanza-id, when the archive cannot be written', async () => {
    stores.archive.append = async () => {
      throw new Error('disk full');
    };
    send(`${ALICE}/a`, 'ca', chat(BOB, 'regardless'));
    await settle();
    const [msg] = messagesTo('cb');
    expect(msg!.getChildText('body')).toBe('regardless');
    expect(getStanzaId(msg!, BOB)).toBeUndefined();
  });

  it('does not archive for an account that does not exist', async () => {
    send(`${ALICE}/a`, 'ca', chat(`nobody@${D}`, 'hello?'));
    await settle();
    expect(await archive(`nobody@${D}`)).toHaveLength(0);
  });

  it('puts the sender archive id in carbon copies, not in the routed message', async () => {
    await login(ALICE, 'a2', 'ca2');
    send(`${ALICE}/a2`, 'ca2', `<iq type='set' id='c1'><enable xmlns='${NS_CARBONS}'/></iq>`);
    await login(BOB, 'b2', 'cb2');
    send(`${BOB}/b2`, 'cb2', `<iq type='set' id='c2'><enable xmlns='${NS_CARBONS}'/></iq>`);
    await settle();
    delivered.length = 0;
    send(`${ALICE}/a`, 'ca', chat(`${BOB}/b`, 'carbon'));
    await settle();
    const [aliceEntry] = await archive(ALICE);
    const [bobEntry] = await archive(BOB);
    const sent = messagesTo('ca2')[0]!.getChild('sent', NS_CARBONS)!;
    const sentInner = sent.getChild('forwarded')!.getChild('message')!;
    expect(getStanzaId(sentInner, ALICE)).toBe(aliceEntry!.id);
    const routed = messagesTo('cb')[0]!;
    expect(getStanzaId(routed, ALICE)).toBeUndefined();
    expect(getStanzaId(routed, BOB)).toBe(bobEntry!.id);
    const received = messagesTo('cb2')[0]!.getChild('received', NS_CARBONS)!;
    expect(getStanzaId(received.getChild('forwarded')!.getChild('message')!, BOB)).toBe(
      bobEntry!.id,
    );
  });

  it('archives a <private/> message though carbons do not copy it', async () => {
    await login(BOB, 'b2', 'cb2');
    send(`${BOB}/b2`, 'cb2', `<iq type='set' id='c2'><enable xmlns='${NS_CARBONS}'/></iq>`);
    await settle();
    delivered.length = 0;
    send(`${ALICE}/a`, 'ca', chat(`${BOB}/b`, 'secret', `<private xmlns='${NS_CARBONS}'/>`));
    await settle();
    const [entry] = await archive(BOB);
    const got = messagesTo('cb')[0]!;
    expect(getStanzaId(got, BOB)).toBe(entry!.id);
    expect(got.getChild('private', NS_CARBONS)).toBeUndefined();
    expect(messagesTo('cb2')).toHaveLength(0);
  });
});

describe('mam module: queries and preferences', () => {
  beforeEach(async () => {
    await login(ALICE, 'a', 'ca');
    await login(BOB, 'b', 'cb');
    for (let i = 0; i < 12; i++) send(`${ALICE}/a`, 'ca', chat(BOB, `q${i}`));
    await settle();
    delivered.length = 0;
  });

  const iq = (type: string, payload: string, toJid?: string) =>
    `<iq type='${type}' id='iq1'${toJid ? ` to='${toJid}'` : ''}>${payload}</iq>`;

  it('sends the results to the requesting resource, then the IQ result with fin', async () => {
    await login(BOB, 'other', 'cbo');
    delivered.length = 0;
    send(
      `${BOB}/b`,
      'cb',
      iq(
        'set',
        `<query xmlns='${NS_MAM}' queryid='f1'><set xmlns='${NS_RSM}'><max>5</max></set></query>`,
      ),
    );
    await settle();
    const out = to('cb');
    expect(out.map((e) => e.name)).toEqual([...Array(5).fill('message'), 'iq']);
    const bodies = out
      .slice(0, 5)
      .map((m) =>
        m
          .getChild('result', NS_MAM)!
          .getChild('forwarded')!
          .getChild('message')!
          .getChildText('body'),
      );
    expect(bodies).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    for (const m of out.slice(0, 5)) {
      expect(m.attr('to')).toBe(`${BOB}/b`);
      expect(m.attr('from')).toBe(BOB);
      expect(m.getChild('result', NS_MAM)!.attr('queryid')).toBe('f1');
    }
    const fin = out[5]!.getChild('fin', NS_MAM)!;
    expect(out[5]!.attr('type')).toBe('result');
    expect(fin.attr('complete')).toBeUndefined();
    expect(fin.getChild('set', NS_RSM)!.getChildText('count')).toBe('12');
    expect(to('cbo')).toHaveLength(0);
  });

  it('refuses a query on somebody else archive', async () => {
    send(`${ALICE}/a`, 'ca', iq('set', `<query xmlns='${NS_MAM}'/>`, BOB));
    send(`${ALICE}/a`, 'ca', iq('get', `<prefs xmlns='${NS_MAM}'/>`, BOB));
    await settle();
    const errors = to('ca').filter((e) => e.name === 'iq');
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e.attr('type')).toBe('error');
      expect(e.getChild('error')!.getChild('forbidden')).toBeDefined();
    }
  });

  it('answers errors for bad queries', async () => {
    send(
      `${BOB}/b`,
      'cb',
      iq(
        'set',
        `<query xmlns='${NS_MAM}'><x xmlns='jabber:x:data' type='submit'><field var='start'><value>never</value></field></x></query>`,
      ),
    );
    send(
      `${BOB}/b`,
      'cb',
      iq(
        'set',
        `<query xmlns='${NS_MAM}'><set xmlns='${NS_RSM}'><after>missing</after></set></query>`,
      ),
    );
    await settle();
    const conditions = to('cb').map((e) => e.getChild('error')?.getChildElements()[0]?.name);
    expect(conditions).toEqual(['bad-request', 'item-not-found']);
  });

  it('serves the form, the metadata and a query to the server JID', async () => {
    send(`${BOB}/b`, 'cb', iq('get', `<query xmlns='${NS_MAM}'/>`));
    send(`${BOB}/b`, 'cb', iq('get', `<metadata xmlns='${NS_MAM}'/>`, BOB));
    send(
      `${BOB}/b`,
      'cb',
      iq(
        'set',
        `<query xmlns='${NS_MAM}'><set xmlns='${NS_RSM}'><max>1</max><before/></set></query>`,
        D,
      ),
    );
    await settle();
    // Results are delivered directly, IQ results through the partition: each query's own
    // results precede its IQ result, while answers to different IQs may interleave.
    const out = to('cb');
    const form = out.find((e) => e.getChild('query', NS_MAM));
    const md = out.find((e) => e.getChild('metadata', NS_MAM));
    const result = out.find((e) => e.getChild('result', NS_MAM));
    const fin = out.find((e) => e.getChild('fin', NS_MAM));
    expect(out.indexOf(result!)).toBeLessThan(out.indexOf(fin!));
    expect(form!.getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')).toBeDefined();
    const items = await archive(BOB);
    expect(md!.getChild('metadata', NS_MAM)!.getChild('end')!.attr('id')).toBe(items[11]!.id);
    expect(result!.getChild('result', NS_MAM)!.attr('id')).toBe(items[11]!.id);
    expect(result!.attr('from')).toBe(D);
    expect(fin!.getChild('fin', NS_MAM)).toBeDefined();
  });

  it('gets and sets preferences, which decide what is archived', async () => {
    send(`${BOB}/b`, 'cb', iq('get', `<prefs xmlns='${NS_MAM}'/>`));
    send(
      `${BOB}/b`,
      'cb',
      iq(
        'set',
        `<prefs xmlns='${NS_MAM}' default='always'><always/><never><jid>${ALICE}</jid></never></prefs>`,
      ),
    );
    await settle();
    const [got, set] = to('cb');
    expect(got!.getChild('prefs', NS_MAM)!.attr('default')).toBe('always');
    expect(set!.getChild('prefs', NS_MAM)!.getChild('never')!.getChildText('jid')).toBe(ALICE);
    send(`${ALICE}/a`, 'ca', chat(BOB, 'not kept'));
    await settle();
    expect(await archive(BOB)).toHaveLength(12);
    expect(await archive(ALICE)).toHaveLength(13);
    const msg = messagesTo('cb').find((m) => m.getChildText('body') === 'not kept')!;
    expect(getStanzaId(msg, BOB)).toBeUndefined();
  });

  it("archives with default='roster' only for roster contacts", async () => {
    send(`${BOB}/b`, 'cb', iq('set', `<prefs xmlns='${NS_MAM}' default='roster'/>`));
    await settle();
    send(`${ALICE}/a`, 'ca', chat(BOB, 'stranger'));
    await settle();
    expect(await archive(BOB)).toHaveLength(12);
    send(
      `${BOB}/b`,
      'cb',
      iq('set', `<query xmlns='jabber:iq:roster'><item jid='${ALICE}'/></query>`),
    );
    await settle();
    send(`${ALICE}/a`, 'ca', chat(BOB, 'friend'));
    await settle();
    expect(await archive(BOB)).toHaveLength(13);
  });

  it('does not re-route a bounced query result to another resource', async () => {
    await login(BOB, 'other', 'cbo');
    send(
      `${BOB}/b`,
      'cb',
      iq('set', `<query xmlns='${NS_MAM}'><set xmlns='${NS_RSM}'><max>1</max></set></query>`),
    );
    await settle();
    const result = delivered.find((d) => d.conn === 'cb' && d.el.name === 'message')!;
    delivered.length = 0;
    publish(BOB, { t: 'bounce', to: `${BOB}/b`, conn: 'cb', env: result.env });
    await settle();
    expect(to('cbo')).toHaveLength(0);
    expect(await stores.offline.count(BOB)).toBe(0);
  });

  it('removes the archive with the account', async () => {
    await stores.accounts.delete(BOB); // account-removed acts only on a deleted account
    publish(BOB, { t: 'account-removed', jid: BOB });
    await settle();
    expect(await archive(BOB)).toHaveLength(0);
    expect(await archive(ALICE)).toHaveLength(12);
  });

  it('advertises the features on the account and the server', async () => {
    send(
      `${BOB}/b`,
      'cb',
      iq('get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, BOB),
    );
    send(`${BOB}/b`, 'cb', iq('get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, D));
    await settle();
    for (const answer of to('cb')) {
      const vars = answer
        .getChild('query')!
        .getChildren('feature')
        .map((f) => f.attr('var'));
      expect(vars).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, NS_SID]));
    }
  });
});

describe('mam module: configuration', () => {
  it('is off when mam.enabled is false', async () => {
    await registry.close();
    await start((c) => (c.mam.enabled = false));
    await login(ALICE, 'a', 'ca');
    await login(BOB, 'b', 'cb');
    send(`${ALICE}/a`, 'ca', chat(BOB, 'plain'));
    await settle();
    expect(await archive(BOB)).toHaveLength(0);
    expect(registry.modules.map((m) => m.name)).not.toContain('mam');
  });

  it('applies mam.defaultPolicy to accounts without preferences', async () => {
    await registry.close();
    await start((c) => (c.mam.defaultPolicy = 'never'));
    await login(ALICE, 'a', 'ca');
    await login(BOB, 'b', 'cb');
    send(`${ALICE}/a`, 'ca', chat(BOB, 'plain'));
    await settle();
    expect(await archive(BOB)).toHaveLength(0);
    expect(await archive(ALICE)).toHaveLength(0);
  });
});

describe('mam module: the per-account archive quota (quotas.archiveMaxMessages)', () => {
  beforeEach(async () => {
    await registry.close();
    await stores.close();
    await start((c) => {
      c.quotas.archiveMaxMessages = 3;
    });
    await login(ALICE, 'a', 'ca');
    await login(BOB, 'b', 'cb');
    delivered.length = 0;
  });

  it('keeps the newest messages of each archive; every message is still delivered', async () => {
    for (let i = 1; i <= 5; i++) send(`${ALICE}/a`, 'ca', chat(BOB, `m${i}`));
    await settle();
    expect(messagesTo('cb').map((m) => m.getChildText('body'))).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
    ]);
    const bodies = async (owner: string) =>
      (await archive(owner)).map((m) => parseXml(m.xml).getChildText('body'));
    expect(await bodies(BOB)).toEqual(['m3', 'm4', 'm5']);
    expect(await bodies(ALICE)).toEqual(['m3', 'm4', 'm5']);
  });

  it('a failing trim loses neither the message nor its archive entry', async () => {
    stores.archive.trim = () => Promise.reject(new Error('disk on fire'));
    for (let i = 1; i <= 4; i++) send(`${ALICE}/a`, 'ca', chat(BOB, `m${i}`));
    await settle();
    expect(messagesTo('cb')).toHaveLength(4);
    expect(await archive(BOB)).toHaveLength(4);
  });
});
