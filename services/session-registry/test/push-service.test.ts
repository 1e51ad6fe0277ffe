/**
 * The built-in push service (push.example.org) together with the push
 * module, on the registry with fake gateways: device registration through
 * the ad-hoc commands, the checks of a publish (node, publisher, secret),
 * delivery to FCM and APNs, and a dead token that removes the device and
 * disables the user's registration. FCM and APNs are the test doubles of
 * @parley/testkit (push-doubles.ts), written to Google's and Apple's
 * documented contracts; no Google or Apple endpoint is reached.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceHash } from '@parley/push';
import { readForm } from '@parley/stanza';
import {
  apnsDoubleApp,
  createTestPki,
  fcmDoubleApp,
  startApnsDouble,
  startFcmDouble,
} from '@parley/testkit';
import type { ApnsDouble, FcmDouble, TestPki } from '@parley/testkit';
import type { Element } from '@parley/xml';
import { Harness, errorCondition, jidOf } from './harness.js';
import type { FakeSession } from './harness.js';

const SERVICE = 'push.example.org';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_PUSH = 'urn:xmpp:push:0';
const ALICE = jidOf('alice');
const FCM_TOKEN = 'fcm-token:APA91b-alice_phone';
const APNS_TOKEN = '0a1b'.repeat(16);

const field = (name: string, v: string) => `<field var='${name}'><value>${v}</value></field>`;
const submit = (...fields: string[]) =>
  `<x xmlns='jabber:x:data' type='submit'>${fields.join('')}</x>`;

describe('push service (push.example.org) with FCM and APNs doubles', () => {
  let pki: TestPki;
  let dir: string;
  let fcm: FcmDouble;
  let apns: ApnsDouble;
  let h: Harness;
  let alice: FakeSession;
  let bob: FakeSession;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'parley-push-service-'));
    fcm = await startFcmDouble(pki, dir);
    apns = await startApnsDouble(pki, dir);
    h = await Harness.start({
      accounts: ['alice', 'bob'],
      config: (c) => {
        c.push.enabled = true;
        c.push.service.enabled = true;
        c.push.service.retryBaseMs = 10;
        c.push.service.apps = [fcmDoubleApp(fcm, pki.caFile), apnsDoubleApp(apns, pki.caFile)];
      },
    });
    alice = await h.online(ALICE, 'phone');
    bob = await h.online(jidOf('bob'), 'desk');
  });
  afterAll(async () => {
    expect(h.problems()).toEqual([]);
    await h?.close();
    await fcm?.close();
    await apns?.close();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  async function iq(
    from: FakeSession,
    type: string,
    to: string,
    payload: string,
  ): Promise<Element> {
    const id = from.nextId();
    from.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
    await h.settle();
    const reply = (await from.drain()).find((el) => el.name === 'iq' && el.attr('id') === id);
    expect(reply, `no answer to ${payload}`).toBeDefined();
    return reply!;
  }
  const command = (from: FakeSession, node: string, form = '') =>
    iq(
      from,
      'set',
      SERVICE,
      `<command xmlns='${NS_COMMANDS}' node='${node}' action='execute'>${form}</command>`,
    );

  /** Registers a device; returns the node and secret the service gave. */
  async function register(
    node: string,
    ...fields: string[]
  ): Promise<{ node: string; secret: string }> {
    const reply = await command(alice, node, submit(...fields));
    expect(reply.attr('type'), errorCondition(reply)).toBe('result');
    const cmd = reply.getChild('command', NS_COMMANDS)!;
    expect(cmd.attr('status')).toBe('completed');
    const form = readForm(cmd.getChild('x', 'jabber:x:data')!)!;
    expect(form.fields.get('jid')).toEqual([SERVICE]);
    return { node: form.fields.get('node')![0]!, secret: form.fields.get('secret')![0]! };
  }

  async function enable(reg: { node: string; secret: string }): Promise<void> {
    const reply = await iq(
      alice,
      'set',
      ALICE,
      `<enable xmlns='${NS_PUSH}' jid='${SERVICE}' node='${reg.node}'><x xmlns='jabber:x:data' type='submit'>${field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options')}${field('secret', reg.secret)}</x></enable>`,
    );
    expect(reply.attr('type')).toBe('result');
  }

  const detach = async () => {
    h.publish(ALICE, { t: 'session-detached', jid: alice.jid, conn: alice.conn });
    await h.settle();
  };

  it('describes itself as a push service and lists its commands', async () => {
    const info = await iq(
      bob,
      'get',
      SERVICE,
      `<query xmlns='http://jabber.org/protocol/disco#info'/>`,
    );
    const q = info.getChild('query')!;
    expect(q.getChild('identity')!.attr('category')).toBe('pubsub');
    expect(q.getChild('identity')!.attr('type')).toBe('push');
    expect(q.getChildren('feature').map((f) => f.attr('var'))).toContain(NS_COMMANDS);
    const items = await iq(
      bob,
      'get',
      SERVICE,
      `<query xmlns='http://jabber.org/protocol/disco#items' node='${NS_COMMANDS}'/>`,
    );
    expect(
      items
        .getChild('query')!
        .getChildren('item')
        .map((i) => i.attr('node')),
    ).toEqual([
      'register-push-fcm',
      'register-push-apns',
      'unregister-push',
      'unregister-push-fcm',
      'unregister-push-apns',
    ]);
  });

  it('hands out the form to a bare execute, and refuses bad registrations', async () => {
    const blank = await command(alice, 'register-push-fcm');
    const cmd = blank.getChild('command', NS_COMMANDS)!;
    expect(cmd.attr('status')).toBe('executing');
    expect(readForm(cmd.getChild('x', 'jabber:x:data')!)!.fields.has('token')).toBe(true);
    expect(
      errorCondition(await command(alice, 'register-push-fcm', submit(field('android-id', 'x')))),
    ).toBe('bad-request');
    expect(
      errorCondition(await command(alice, 'register-push-fcm', submit(field('token', FCM_TOKEN)))),
    ).toBe('bad-request');
    expect(
      errorCondition(
        await command(
          alice,
          'register-push-apns',
          submit(field('token', 'not-hex'), field('device-id', 'd')),
        ),
      ),
    ).toBe('bad-request');
    expect(
      errorCondition(
        await command(
          alice,
          'register-push-fcm',
          submit(field('token', FCM_TOKEN), field('device-id', 'd'), field('application', 'ios')),
        ),
      ),
    ).toBe('item-not-found');
    expect(errorCondition(await command(alice, 'register-push-webpush'))).toBe('item-not-found');
  });

  it('delivers through FCM while the only session is detached, with the p2 device hash', async () => {
    const reg = await register(
      'register-push-fcm',
      field('token', FCM_TOKEN),
      field('android-id', '92afd7a91cdba9a0'),
    );
    await enable(reg);
    await detach();
    const before = fcm.pushes.length;
    bob.send(`<message type='chat' to='${ALICE}'><body>private words</body></message>`);
    const pushes = await fcm.waitForPushes(before + 1);
    expect(fcm.rejected).toEqual([]);
    const push = pushes[before]!;
    expect(push.token).toBe(FCM_TOKEN);
    expect(push.body['data']).toEqual({ account: deviceHash(ALICE, '92afd7a91cdba9a0') });
    expect(JSON.stringify(push.body)).not.toContain('private words');
    await h.settle();
    expect(await h.stores.pushRegistrations.list(ALICE)).toHaveLength(1); // accepted: still enabled
  });

  it('refuses publishes with a wrong secret, from a full JID, from another account, or to an unknown node', async () => {
    const [device] = await h.stores.pushDevices.listByOwner(ALICE);
    const publish = (node: string, secret: string) =>
      `<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='${node}'><item><notification xmlns='${NS_PUSH}'/></item></publish><publish-options>${submit(field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options'), field('secret', secret))}</publish-options></pubsub>`;
    expect(errorCondition(await iq(bob, 'set', SERVICE, publish(device!.node, 'guess')))).toBe(
      'forbidden',
    );
    expect(errorCondition(await iq(bob, 'set', SERVICE, publish('no-such-node', 'guess')))).toBe(
      'item-not-found',
    );
    expect(errorCondition(await iq(alice, 'set', SERVICE, publish(device!.node, 'guess')))).toBe(
      'forbidden',
    );
  });

  it('re-registering the device keeps its node with a new secret; unregister removes it and the registration', async () => {
    const [before] = await h.stores.pushDevices.listByOwner(ALICE);
    expect((await h.stores.pushRegistrations.list(ALICE)).map((r) => r.node)).toEqual([
      before!.node,
    ]);
    const again = await register(
      'register-push-fcm',
      field('token', `${FCM_TOKEN}-2`),
      field('android-id', '92afd7a91cdba9a0'),
    );
    expect(again.node).toBe(before!.node);
    const [after] = await h.stores.pushDevices.listByOwner(ALICE);
    expect(after!.token).toBe(`${FCM_TOKEN}-2`);
    expect(after!.secretHash).not.toBe(before!.secretHash);
    const gone = await command(
      alice,
      'unregister-push',
      submit(field('device-id', '92afd7a91cdba9a0')),
    );
    expect(gone.getChild('command', NS_COMMANDS)!.attr('status')).toBe('completed');
    expect(await h.stores.pushDevices.listByOwner(ALICE)).toEqual([]);
    // The service told alice's server (XEP-0357 section 8): the registration is gone too.
    await h.settle();
    expect(await h.stores.pushRegistrations.list(ALICE)).toEqual([]);
    expect(
      errorCondition(
        await command(alice, 'unregister-push', submit(field('device-id', '92afd7a91cdba9a0'))),
      ),
    ).toBe('item-not-found');
  });

  it('a dead FCM token removes the device and disables the registration at the user’s server', async () => {
    await iq(alice, 'set', ALICE, `<disable xmlns='${NS_PUSH}' jid='${SERVICE}'/>`);
    const token = 'fcm-token:dead-one';
    const reg = await register(
      'register-push-fcm',
      field('token', token),
      field('android-id', 'dead'),
    );
    await enable(reg);
    fcm.unregister(token);
    const before = fcm.pushes.length;
    bob.send(`<message type='chat' to='${ALICE}'><body>anyone?</body></message>`);
    await fcm.waitForPushes(before + 1);
    await h.settle();
    expect(await h.stores.pushDevices.get(SERVICE, reg.node)).toBeUndefined();
    // The service answered item-not-found: the push module disabled the registration.
    await expect.poll(() => h.stores.pushRegistrations.list(ALICE)).toEqual([]);
  });

  it('delivers through APNs with a verified provider token', async () => {
    const reg = await register(
      'register-push-apns',
      field('token', APNS_TOKEN),
      field('device-id', 'iphone-1'),
    );
    await enable(reg);
    const before = apns.pushes.length;
    bob.send(`<message type='chat' to='${ALICE}'><body>to the phone</body></message>`);
    const pushes = await apns.waitForPushes(before + 1);
    expect(apns.rejected).toEqual([]);
    expect(pushes[before]!.headers).toMatchObject({
      ':path': `/3/device/${APNS_TOKEN}`,
      'apns-topic': apns.topic,
    });
    expect(pushes[before]!.body).toMatchObject({ account: deviceHash(ALICE, 'iphone-1') });
  });
});
