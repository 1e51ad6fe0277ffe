/**
 * The push module (XEP-0357, server side) on the registry with fake
 * gateways: enable/disable and their errors, disco, notifications for
 * offline messages, for messages routed to a session detached by stream
 * management and for group chat mentions, what a notification carries, and
 * the error reply that disables a registration. The app server here is a
 * local client session (app@example.org/srv) that sees the publishes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionOf } from '@parley/routing';
import { readForm } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { Harness, errorCondition, jidOf } from './harness.js';
import type { FakeSession } from './harness.js';

const NS_PUSH = 'urn:xmpp:push:0';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const ALICE = jidOf('alice');
const APP = `${jidOf('app')}/srv`;
const ROOM = 'tea@conference.example.org';

const enable = (node: string, secret?: string, jid = APP) =>
  `<enable xmlns='${NS_PUSH}' jid='${jid}' node='${node}'>${
    secret === undefined
      ? ''
      : `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'><value>${secret}</value></field></x>`
  }</enable>`;

/** The publishes the app server session received (and forgets everything else). */
async function publishes(app: FakeSession): Promise<Element[]> {
  return (await app.drain()).filter(
    (el) => el.name === 'iq' && el.getChild('pubsub', NS_PUBSUB) !== undefined,
  );
}

function summaryOf(iq: Element): Record<string, string[]> {
  const x = iq
    .getChild('pubsub', NS_PUBSUB)!
    .getChild('publish')!
    .getChild('item')!
    .getChild('notification', NS_PUSH)!
    .getChild('x', 'jabber:x:data')!;
  const form = readForm(x)!;
  expect(form.formType).toBe('urn:xmpp:push:summary');
  return Object.fromEntries(form.fields);
}

describe('push module (XEP-0357)', () => {
  let h: Harness;
  let app: FakeSession;
  let bob: FakeSession;

  beforeEach(async () => {
    h = await Harness.start({
      accounts: ['alice', 'bob', 'app'],
      config: (c) => {
        c.push.enabled = true;
        c.push.maxRegistrations = 2;
      },
    });
    app = await h.online(jidOf('app'), 'srv');
    bob = await h.online(jidOf('bob'), 'desk');
  });
  afterEach(async () => {
    expect(h.problems()).toEqual([]);
    await h?.close();
  });

  async function iq(from: FakeSession, payload: string, to = ALICE): Promise<Element> {
    const id = from.nextId();
    from.send(`<iq type='set' id='${id}' to='${to}'>${payload}</iq>`);
    const reply = (await from.drain()).find((el) => el.name === 'iq' && el.attr('id') === id);
    expect(reply, `no answer to ${payload}`).toBeDefined();
    return reply!;
  }
  const chat = (body: string) =>
    bob.send(`<message type='chat' to='${ALICE}' id='m-${body}'><body>${body}</body></message>`);

  it('advertises urn:xmpp:push:0 on the account', async () => {
    const alice = await h.online(ALICE, 'phone');
    const id = alice.nextId();
    alice.send(`<iq type='get' id='${id}' to='${ALICE}'><query xmlns='${NS_DISCO_INFO}'/></iq>`);
    const info = (await alice.drain()).find((el) => el.attr('id') === id)!;
    const features = info
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attr('var'));
    expect(features).toContain(NS_PUSH);
  });

  it('enables and disables registrations, with the errors of bad requests', async () => {
    const alice = await h.online(ALICE, 'phone');
    expect((await iq(alice, enable('n1', 's3cret'))).attr('type')).toBe('result');
    expect((await iq(alice, enable('n1', 'again'))).attr('type')).toBe('result'); // replaces
    expect((await iq(alice, enable('n2'))).attr('type')).toBe('result');
    expect(errorCondition(await iq(alice, enable('n3')))).toBe('resource-constraint');
    expect(errorCondition(await iq(alice, `<enable xmlns='${NS_PUSH}' node='x'/>`))).toBe(
      'bad-request',
    );
    for (const self of [ALICE, `${ALICE}/phone`, 'example.org'])
      expect(errorCondition(await iq(alice, enable('n4', undefined, self)))).toBe('not-acceptable');
    expect(
      errorCondition(await iq(alice, `<enable xmlns='${NS_PUSH}' jid='a@@b' node='x'/>`)),
    ).toBe('jid-malformed');
    expect(
      errorCondition(
        await iq(
          alice,
          `<enable xmlns='${NS_PUSH}' jid='${APP}' node='x'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x></enable>`,
        ),
      ),
    ).toBe('bad-request');
    // Nobody else may enable push on alice's account.
    expect(errorCondition(await iq(bob, enable('n9')))).not.toBeUndefined();
    const regs = await h.stores.pushRegistrations.list(ALICE);
    expect(regs.map((r) => [r.node, r.options, r.enabledBy])).toEqual([
      ['n1', { secret: ['again'] }, `${ALICE}/phone`],
      ['n2', {}, `${ALICE}/phone`],
    ]);
    expect(
      (await iq(alice, `<disable xmlns='${NS_PUSH}' jid='${APP}' node='n1'/>`)).attr('type'),
    ).toBe('result');
    expect((await h.stores.pushRegistrations.list(ALICE)).map((r) => r.node)).toEqual(['n2']);
    expect((await iq(alice, `<disable xmlns='${NS_PUSH}' jid='${APP}'/>`)).attr('type')).toBe(
      'result',
    );
    expect(await h.stores.pushRegistrations.list(ALICE)).toEqual([]);
  });

  it('notifies for a message stored offline: summary and publish options, no body by default', async () => {
    const alice = await h.online(ALICE, 'phone');
    await iq(alice, enable('n1', 's3cret'));
    alice.unbind();
    await h.settle();
    chat('first');
    const [one] = await publishes(app);
    expect(one!.attr('from')).toBe(ALICE);
    expect(one!.attr('to')).toBe(APP);
    expect(one!.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attr('node')).toBe('n1');
    expect(summaryOf(one!)).toEqual({
      'message-count': ['1'],
      'last-message-sender': [jidOf('bob')],
    });
    const options = readForm(
      one!
        .getChild('pubsub', NS_PUBSUB)!
        .getChild('publish-options')!
        .getChild('x', 'jabber:x:data')!,
    )!;
    expect(options.formType).toBe('http://jabber.org/protocol/pubsub#publish-options');
    expect(Object.fromEntries(options.fields)).toEqual({ secret: ['s3cret'] });
    // While that publish is unanswered, another message sends nothing more (coalesced).
    chat('second');
    expect(await publishes(app)).toEqual([]);
    app.send(`<iq type='result' id='${one!.attr('id')}' to='${ALICE}'/>`);
    await h.settle();
    chat('third');
    const [three] = await publishes(app);
    expect(summaryOf(three!)).toMatchObject({ 'message-count': ['3'] });
    expect(summaryOf(three!)['last-message-body']).toBeUndefined();
    app.send(`<iq type='result' id='${three!.attr('id')}' to='${ALICE}'/>`);
    await h.settle();
    // The body only for the domains configured.
    h.config.push.bodyDomains = ['example.org'];
    chat('fourth');
    const [four] = await publishes(app);
    expect(summaryOf(four!)).toMatchObject({
      'message-count': ['4'],
      'last-message-body': ['fourth'],
    });
  });

  it('notifies while the only session is detached, not while it is attached, and stops once it resumes', async () => {
    const alice = await h.online(ALICE, 'phone');
    await iq(alice, enable('n1'));
    chat('attached');
    expect(await publishes(app)).toEqual([]);
    h.publish(ALICE, { t: 'session-resumable', jid: alice.jid, conn: alice.conn });
    h.publish(ALICE, { t: 'session-detached', jid: alice.jid, conn: alice.conn });
    await h.settle();
    chat('detached');
    bob.send(
      `<message type='chat' to='${ALICE}'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    );
    const pushed = await publishes(app);
    expect(pushed).toHaveLength(1); // the chat state is not worth a push
    expect((await alice.drain()).map((m) => m.getChildText('body'))).toContain('detached');
    // The client resumes on another connection: attached again.
    const request = {
      t: 'bind' as const,
      jid: ALICE,
      resource: 'phone',
      gw: 'gw1',
      conn: 'gw1-resumed',
      takeover: alice.conn,
    };
    h.publish(ALICE, request);
    await h.settle();
    chat('resumed');
    expect(await publishes(app)).toEqual([]);
  });

  it('a resumable session whose gateway died counts as detached', async () => {
    const alice = await h.online(ALICE, 'phone', { gw: 'gw9' });
    await iq(alice, enable('n1'));
    h.publish(ALICE, { t: 'session-resumable', jid: alice.jid, conn: alice.conn });
    await h.settle();
    const partition = partitionOf(ALICE, h.config.routing.partitions);
    h.publish(ALICE, { t: 'gateway-down', gw: 'gw9', partition });
    await h.settle();
    chat('while the gateway is dead');
    expect(await publishes(app)).toHaveLength(1);
  });

  it('notifies a detached occupant mentioned by nickname in a room', async () => {
    const alice = await h.online(ALICE, 'phone');
    await iq(alice, enable('n1'));
    h.routeIn(
      `<presence from='${ROOM}/Alice' to='${alice.jid}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>`,
    );
    h.publish(ALICE, { t: 'session-detached', jid: alice.jid, conn: alice.conn });
    await h.settle();
    const groupchat = (nick: string, body: string) =>
      h.routeIn(
        `<message type='groupchat' from='${ROOM}/${nick}' to='${alice.jid}'><body>${body}</body></message>`,
      );
    groupchat('carol', 'nothing for anyone');
    groupchat('carol', 'alicebot is not her');
    groupchat('Alice', 'alice talking to herself');
    groupchat('carol', 'hey @alice, tea?');
    const pushed = await publishes(app);
    expect(pushed).toHaveLength(1);
    expect(summaryOf(pushed[0]!)).toMatchObject({ 'last-message-sender': [`${ROOM}/carol`] });
  });

  it('notifies every message of a room marked always, none of a room marked never (XEP-0492 bookmarks)', async () => {
    const alice = await h.online(ALICE, 'phone');
    await iq(alice, enable('n1'));
    const ROOM2 = 'quiet@conference.example.org';
    const bookmark = (room: string, setting: string) =>
      `<pubsub xmlns='${NS_PUBSUB}'><publish node='urn:xmpp:bookmarks:1'><item id='${room}'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'><nick>Alice</nick><extensions><notify xmlns='urn:xmpp:notification-settings:1'>${setting}</notify></extensions></conference></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#max_items'><value>max</value></field><field var='pubsub#access_model'><value>whitelist</value></field></x></publish-options></pubsub>`;
    expect((await iq(alice, bookmark(ROOM, '<always/>'))).attr('type')).toBe('result');
    expect(
      (
        await iq(
          alice,
          bookmark(ROOM2, `<never/><always identity-category='client' identity-type='pc'/>`),
        )
      ).attr('type'),
    ).toBe('result');
    for (const room of [ROOM, ROOM2])
      h.routeIn(
        `<presence from='${room}/Alice' to='${alice.jid}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>`,
      );
    h.publish(ALICE, { t: 'session-detached', jid: alice.jid, conn: alice.conn });
    await h.settle();
    h.routeIn(
      `<message type='groupchat' from='${ROOM2}/carol' to='${alice.jid}'><body>alice, are you there?</body></message>`,
    );
    h.routeIn(
      `<message type='groupchat' from='${ROOM}/carol' to='${alice.jid}'><body>tea is ready</body></message>`,
    );
    const pushed = await publishes(app);
    expect(pushed).toHaveLength(1);
    expect(summaryOf(pushed[0]!)).toMatchObject({ 'last-message-sender': [`${ROOM}/carol`] });
  });

  it('disables a registration its app server answers with an error', async () => {
    const alice = await h.online(ALICE, 'phone');
    await iq(alice, enable('n1'));
    await iq(alice, enable('n2'));
    alice.unbind();
    chat('hello');
    const pushed = await publishes(app);
    expect(pushed).toHaveLength(2);
    const n1 = pushed.find(
      (p) => p.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attr('node') === 'n1',
    )!;
    const n2 = pushed.find((p) => p !== n1)!;
    app.send(
      `<iq type='error' id='${n1.attr('id')}' to='${ALICE}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    app.send(`<iq type='result' id='${n2.attr('id')}' to='${ALICE}'/>`);
    await h.settle();
    expect((await h.stores.pushRegistrations.list(ALICE)).map((r) => r.node)).toEqual(['n2']);
    // A transient error (type wait) keeps the registration.
    chat('busy');
    const [busy] = await publishes(app);
    app.send(
      `<iq type='error' id='${busy!.attr('id')}' to='${ALICE}'><error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    await h.settle();
    expect((await h.stores.pushRegistrations.list(ALICE)).map((r) => r.node)).toEqual(['n2']);
    // A forged error from someone else is not the app server's.
    chat('again');
    const [again] = await publishes(app);
    bob.send(
      `<iq type='error' id='${again!.attr('id')}' to='${ALICE}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    await h.settle();
    expect((await h.stores.pushRegistrations.list(ALICE)).map((r) => r.node)).toEqual(['n2']);
  });
});
