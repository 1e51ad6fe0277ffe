/**
 * RFC 6121 section 8.5: how the recipient's server delivers a stanza to a
 * local account, by addressing (bare or full JID), message type, and the
 * resources online with their priorities. The registry runs alone over the
 * in-process bus (harness.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeSession } from './harness.js';
import { DOMAIN, Harness, brief, errorCondition, jidOf, pushes } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');
const NOBODY = jidOf('nobody');

let h: Harness;
let bob: FakeSession;

beforeEach(async () => {
  h = await Harness.start({ accounts: ['alice', 'bob'] });
  bob = await h.online(BOB, 'b');
});
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

const TYPES = ['chat', 'normal', 'groupchat', 'headline', 'error'] as const;
type MessageType = (typeof TYPES)[number];

function message(to: string, type: MessageType, body: string): string {
  const error =
    type === 'error'
      ? `<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
      : '';
  return `<message xmlns='jabber:client' to='${to}' type='${type}' id='${body}'><body>${body}</body>${error}</message>`;
}

/** What happened to one message: who got it, the sender's error, offline storage. */
interface Outcome {
  to: string[];
  error?: string;
  stored: boolean;
}

async function outcome(sessions: FakeSession[], body: string): Promise<Outcome> {
  const to: string[] = [];
  for (const s of sessions) {
    for (const el of await s.drain()) {
      expect(el.name).toBe('message');
      expect(el.getChildText('body')).toBe(body);
      to.push(s.resource);
    }
  }
  const back = await bob.drain();
  const errors = back.filter((e) => e.attr('type') === 'error' && e.attr('id') === body);
  expect(back).toHaveLength(errors.length);
  const stored = (await h.stores.offline.list(ALICE, 100)).some((m) =>
    m.xml.includes(`<body>${body}</body>`),
  );
  const out: Outcome = { to: to.sort(), stored };
  if (errors.length > 0) {
    expect(errors).toHaveLength(1);
    expect(errors[0]!.attr('to')).toBe(bob.jid);
    out.error = errorCondition(errors[0]!)!;
  }
  return out;
}

const delivered = (...to: string[]): Outcome => ({ to, stored: false });
const NOTHING: Outcome = { to: [], stored: false };
const OFFLINE: Outcome = { to: [], stored: true };
const UNAVAILABLE: Outcome = { to: [], stored: false, error: 'service-unavailable' };

interface BareCase {
  setup: string;
  resources: Array<{ resource: string; priority?: number; available?: boolean }>;
  expect: Record<MessageType, Outcome>;
}

const BARE: BareCase[] = [
  {
    setup: 'no resource online (8.5.2.2.1; offline storage, XEP-0160)',
    resources: [],
    expect: {
      chat: OFFLINE,
      normal: OFFLINE,
      groupchat: UNAVAILABLE,
      headline: NOTHING,
      error: NOTHING,
    },
  },
  {
    setup: 'one connected resource that sent no presence (8.5.2.2.1)',
    resources: [{ resource: 'r1', available: false }],
    expect: {
      chat: OFFLINE,
      normal: OFFLINE,
      groupchat: UNAVAILABLE,
      headline: NOTHING,
      error: NOTHING,
    },
  },
  {
    setup: 'one available resource (8.5.2.1.1)',
    resources: [{ resource: 'r1' }],
    expect: {
      chat: delivered('r1'),
      normal: delivered('r1'),
      groupchat: UNAVAILABLE,
      headline: delivered('r1'),
      error: NOTHING,
    },
  },
  {
    setup:
      'several resources: the highest priority gets chat and normal, all get headline (8.5.2.1.1)',
    resources: [
      { resource: 'r1', priority: 5 },
      { resource: 'r2', priority: 5 },
      { resource: 'r3', priority: 1 },
    ],
    expect: {
      chat: delivered('r1', 'r2'),
      normal: delivered('r1', 'r2'),
      groupchat: UNAVAILABLE,
      headline: delivered('r1', 'r2', 'r3'),
      error: NOTHING,
    },
  },
  {
    setup:
      'a negative-priority resource next to a non-negative one never gets a bare-JID message (8.5.2.1.1)',
    resources: [
      { resource: 'r1', priority: -1 },
      { resource: 'r2', priority: 0 },
    ],
    expect: {
      chat: delivered('r2'),
      normal: delivered('r2'),
      groupchat: UNAVAILABLE,
      headline: delivered('r2'),
      error: NOTHING,
    },
  },
  {
    setup: 'only negative-priority resources: as if none were available (8.5.2.1.1, 8.5.2.2.1)',
    resources: [
      { resource: 'r1', priority: -1 },
      { resource: 'r2', priority: -128 },
    ],
    expect: {
      chat: OFFLINE,
      normal: OFFLINE,
      groupchat: UNAVAILABLE,
      headline: NOTHING,
      error: NOTHING,
    },
  },
];

async function alice(resources: BareCase['resources']): Promise<FakeSession[]> {
  const out: FakeSession[] = [];
  for (const r of resources) {
    if (r.available === false) out.push(await h.bind(ALICE, r.resource));
    else
      out.push(
        await h.online(ALICE, r.resource, r.priority === undefined ? {} : { priority: r.priority }),
      );
  }
  // Presence broadcasts among Alice's own resources are not what is tested here.
  for (const s of out) await s.drain();
  return out;
}

describe('RFC 6121 8.5.2: a message to the bare JID of a local account', () => {
  for (const c of BARE) {
    it.each(TYPES)(`RFC 6121 8.5.2: type %s, ${c.setup}`, async (type) => {
      const sessions = await alice(c.resources);
      bob.send(message(ALICE, type, `m-${type}`));
      expect(await outcome(sessions, `m-${type}`)).toEqual(c.expect[type]);
    });
  }
});

describe('RFC 6121 8.5.3: a message to a full JID of a local account', () => {
  it.each(TYPES)(
    'RFC 6121 8.5.3.1: type %s to an available resource goes to that resource only',
    async (type) => {
      const sessions = await alice([
        { resource: 'r1', priority: -5 },
        { resource: 'r2', priority: 10 },
      ]);
      bob.send(message(`${ALICE}/r1`, type, `m-${type}`));
      expect(await outcome(sessions, `m-${type}`)).toEqual(delivered('r1'));
    },
  );

  it.each(TYPES)(
    'RFC 6121 8.5.3.1: type %s to a connected resource that sent no presence goes to it',
    async (type) => {
      const sessions = await alice([{ resource: 'r1', available: false }]);
      bob.send(message(`${ALICE}/r1`, type, `m-${type}`));
      expect(await outcome(sessions, `m-${type}`)).toEqual(delivered('r1'));
    },
  );

  const TO_GONE_WITH_OTHER: Record<MessageType, Outcome> = {
    chat: delivered('r2'),
    normal: delivered('r2'),
    headline: delivered('r2'),
    groupchat: UNAVAILABLE,
    error: NOTHING,
  };
  it.each(TYPES)(
    'RFC 6121 8.5.3.2.1: type %s to a resource that is not online, another one is: as to the bare JID',
    async (type) => {
      const sessions = await alice([{ resource: 'r2' }]);
      bob.send(message(`${ALICE}/gone`, type, `m-${type}`));
      expect(await outcome(sessions, `m-${type}`)).toEqual(TO_GONE_WITH_OTHER[type]);
    },
  );

  const TO_GONE_NONE_ONLINE: Record<MessageType, Outcome> = {
    chat: OFFLINE,
    normal: OFFLINE,
    headline: NOTHING,
    groupchat: UNAVAILABLE,
    error: NOTHING,
  };
  it.each(TYPES)(
    'RFC 6121 8.5.3.2.1: type %s to a resource that is not online, no resource online: as to the bare JID',
    async (type) => {
      bob.send(message(`${ALICE}/gone`, type, `m-${type}`));
      expect(await outcome([], `m-${type}`)).toEqual(TO_GONE_NONE_ONLINE[type]);
    },
  );
});

describe('RFC 6121 8.5.1: no such user', () => {
  const UNKNOWN: Record<MessageType, Outcome> = {
    chat: UNAVAILABLE,
    normal: UNAVAILABLE,
    groupchat: UNAVAILABLE,
    headline: NOTHING,
    error: NOTHING,
  };
  for (const to of [NOBODY, `${NOBODY}/r`]) {
    it.each(TYPES)(`RFC 6121 8.5.1: a message of type %s to ${to}`, async (type) => {
      bob.send(message(to, type, `m-${type}`));
      const got = await outcome([], `m-${type}`);
      expect(got).toEqual(UNKNOWN[type]);
      expect(await h.stores.offline.count(NOBODY)).toBe(0);
    });
  }

  it.each([NOBODY, `${NOBODY}/r`])(
    'RFC 6121 8.5.1: an IQ get to %s gets service-unavailable from the addressee',
    async (to) => {
      bob.send(
        `<iq xmlns='jabber:client' type='get' id='q1' to='${to}'><query xmlns='jabber:iq:version'/></iq>`,
      );
      const [reply, ...rest] = await bob.drain();
      expect(rest).toEqual([]);
      expect(brief(reply!)).toBe(`iq:error ${to} -> ${bob.jid}`);
      expect(reply!.attr('id')).toBe('q1');
      expect(errorCondition(reply!)).toBe('service-unavailable');
    },
  );

  it.each(['', 'unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe'])(
    "RFC 6121 8.5.1: presence of type '%s' to an unknown account is silently ignored",
    async (type) => {
      bob.send(`<presence xmlns='jabber:client' to='${NOBODY}'${type ? ` type='${type}'` : ''}/>`);
      // Bob's own server may push his roster (pending out, pre-approval); nothing comes from nobody.
      const back = await bob.drain();
      expect(back.filter((e) => e.attr('from') !== BOB).map(brief)).toEqual([]);
      expect(pushes(back).map((i) => i.attr('jid'))).toEqual(back.length > 0 ? [NOBODY] : []);
    },
  );
});

describe('RFC 6121 8.5.2 / 8.5.3: IQ and presence to a local account', () => {
  it('RFC 6121 8.5.3.1: an IQ to an online full JID goes to that resource', async () => {
    const [r1, r2] = await alice([{ resource: 'r1' }, { resource: 'r2', priority: 50 }]);
    bob.send(
      `<iq xmlns='jabber:client' type='get' id='q2' to='${ALICE}/r1'><query xmlns='jabber:iq:version'/></iq>`,
    );
    const [iq, ...rest] = await r1!.drain();
    expect(rest).toEqual([]);
    expect(brief(iq!)).toBe(`iq:get ${bob.jid} -> ${ALICE}/r1`);
    expect(await r2!.drain()).toEqual([]);
    expect(await bob.drain()).toEqual([]);
  });

  it('RFC 6121 8.5.3.2.3: an IQ to a full JID that is not online gets service-unavailable', async () => {
    const [r1] = await alice([{ resource: 'r1' }]);
    bob.send(
      `<iq xmlns='jabber:client' type='get' id='q3' to='${ALICE}/gone'><query xmlns='jabber:iq:version'/></iq>`,
    );
    const [reply, ...rest] = await bob.drain();
    expect(rest).toEqual([]);
    expect(brief(reply!)).toBe(`iq:error ${ALICE}/gone -> ${bob.jid}`);
    expect(errorCondition(reply!)).toBe('service-unavailable');
    expect(await r1!.drain()).toEqual([]);
  });

  it.each([
    ['8.5.2.1.3', true],
    ['8.5.2.2.3', false],
  ] as const)(
    'RFC 6121 %s: an IQ to the bare JID is answered by the server for the account (online: %s), never delivered',
    async (_section, online) => {
      const sessions = online ? await alice([{ resource: 'r1' }]) : [];
      bob.send(
        `<iq xmlns='jabber:client' type='get' id='q4' to='${ALICE}'><query xmlns='urn:example:unknown'/></iq>`,
      );
      const [reply, ...rest] = await bob.drain();
      expect(rest).toEqual([]);
      expect(brief(reply!)).toBe(`iq:error ${ALICE} -> ${bob.jid}`);
      expect(errorCondition(reply!)).toBe('service-unavailable');
      for (const s of sessions) expect(await s.drain()).toEqual([]);
    },
  );

  it.each(['', 'unavailable'])(
    "RFC 6121 8.5.3.2.2: presence of type '%s' to a full JID that is not online is silently ignored",
    async (type) => {
      const [r1] = await alice([{ resource: 'r1' }]);
      bob.send(
        `<presence xmlns='jabber:client' to='${ALICE}/gone'${type ? ` type='${type}'` : ''}/>`,
      );
      expect(await r1!.drain()).toEqual([]);
      expect(await bob.drain()).toEqual([]);
    },
  );

  it('RFC 6121 8.5.2.1.2: available presence to the bare JID goes to every available resource, negative priority too', async () => {
    const sessions = await alice([
      { resource: 'r1', priority: -1 },
      { resource: 'r2', priority: 3 },
      { resource: 'r3', available: false },
    ]);
    bob.send(`<presence xmlns='jabber:client' to='${ALICE}'/>`);
    const got = await Promise.all(sessions.map(async (s) => (await s.drain()).map(brief)));
    expect(got).toEqual([
      [`presence ${bob.jid} -> ${ALICE}`],
      [`presence ${bob.jid} -> ${ALICE}`],
      [],
    ]);
  });
});

describe('RFC 6120 10.4 / 10.5: addresses that are not local accounts', () => {
  it('RFC 6120 10.4.3: a message to a domain this server does not serve gets remote-server-not-found', async () => {
    bob.send(message('someone@elsewhere.example', 'chat', 'remote'));
    const [reply, ...rest] = await bob.drain();
    expect(rest).toEqual([]);
    expect(brief(reply!)).toBe(`message:error someone@elsewhere.example -> ${bob.jid}`);
    expect(errorCondition(reply!)).toBe('remote-server-not-found');
  });

  it.each(TYPES)(
    'RFC 6120 10.5: a message of type %s to the server itself is not delivered to anyone',
    async (type) => {
      bob.send(message(DOMAIN, type, `srv-${type}`));
      const back = await bob.drain();
      if (type === 'chat' || type === 'normal') {
        expect(back.map(brief)).toEqual([`message:error ${DOMAIN} -> ${bob.jid}`]);
        expect(errorCondition(back[0]!)).toBe('service-unavailable');
      } else expect(back).toEqual([]);
    },
  );
});
