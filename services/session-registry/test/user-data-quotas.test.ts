/**
 * Per-account quotas on what a user stores (docs/security.md): XEP-0049
 * private XML bytes (resource-constraint), vCard size (not-acceptable), PEP
 * nodes per account (policy-violation + max-nodes-exceeded) and PEP item
 * size (not-acceptable + payload-too-big, XEP-0060 7.1.3.3); what is
 * refused is not stored, and everything else keeps working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '@parley/config';
import type { Element } from '@parley/xml';
import type { FakeSession } from './harness.js';
import { Harness, errorCondition, jidOf } from './harness.js';

const ALICE = jidOf('alice');
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';

let h: Harness;
let alice: FakeSession;

async function start(config: (c: Config) => void): Promise<void> {
  h = await Harness.start({ accounts: ['alice', 'bob'], config });
  alice = await h.online(ALICE, 'a');
  await alice.drain();
}
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

/** Sends an IQ from alice and returns the answer. */
async function iq(type: 'get' | 'set', payload: string, to?: string): Promise<Element> {
  const id = alice.nextId();
  alice.send(
    `<iq xmlns='jabber:client' type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`,
  );
  const reply = (await alice.drain()).find((e) => e.name === 'iq' && e.attr('id') === id);
  expect(reply, `no answer to ${id}`).toBeDefined();
  return reply!;
}
const outcome = (reply: Element) =>
  reply.attr('type') === 'error' ? errorCondition(reply) : reply.attr('type');
const pubsubCondition = (reply: Element) =>
  reply
    .getChild('error')
    ?.getChildElements()
    .find((e) => e.getNS() === NS_PUBSUB_ERRORS)?.name;

const privateSet = (name: string, size: number) =>
  `<query xmlns='jabber:iq:private'><${name} xmlns='urn:example:${name}'>${'x'.repeat(size)}</${name}></query>`;
const publish = (node: string, payload = `<entry xmlns='urn:example:e'/>`) =>
  `<pubsub xmlns='${NS_PUBSUB}'><publish node='${node}'><item id='current'>${payload}</item></publish></pubsub>`;

describe('quotas.privateXmlBytes', () => {
  it('a store that would pass the account total is refused with resource-constraint and not stored', async () => {
    await start((c) => {
      c.quotas.privateXmlBytes = 2048;
    });
    expect(outcome(await iq('set', privateSet('prefs', 1500)))).toBe('result');
    const refused = await iq('set', privateSet('notes', 1000));
    expect(outcome(refused)).toBe('resource-constraint');
    expect(refused.getChild('error')?.attr('type')).toBe('wait');
    expect(await h.stores.privateXml.get(ALICE, 'notes', 'urn:example:notes')).toBeUndefined();
    // Replacing an element counts it once: smaller prefs make room for the notes.
    expect(outcome(await iq('set', privateSet('prefs', 100)))).toBe('result');
    expect(outcome(await iq('set', privateSet('notes', 1000)))).toBe('result');
    // Bookmarks are kept in PEP (XEP-0402) and do not count.
    const bookmarks = `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>${Array.from(
      { length: 20 },
      (_, i) => `<conference jid='room${i}@conference.example.org' autojoin='true'/>`,
    ).join('')}</storage></query>`;
    expect(outcome(await iq('set', bookmarks))).toBe('result');
    expect(
      outcome(
        await iq(
          'get',
          `<query xmlns='jabber:iq:private'><notes xmlns='urn:example:notes'/></query>`,
        ),
      ),
    ).toBe('result');
  });
});

describe('quotas.vcardMaxBytes', () => {
  it('a vCard larger than the limit is refused with not-acceptable; a smaller one is stored', async () => {
    await start((c) => {
      c.quotas.vcardMaxBytes = 1024;
    });
    const vcard = (size: number) =>
      `<vCard xmlns='vcard-temp'><FN>Alice</FN><DESC>${'d'.repeat(size)}</DESC></vCard>`;
    expect(outcome(await iq('set', vcard(2000)))).toBe('not-acceptable');
    expect(await h.stores.vcards.get(ALICE)).toBeUndefined();
    expect(outcome(await iq('set', vcard(100)))).toBe('result');
    expect(await h.stores.vcards.get(ALICE)).toContain('Alice');
  });
});

describe('quotas.pepMaxNodes', () => {
  it('one PEP node too many, by publishing or creating, gets policy-violation + max-nodes-exceeded', async () => {
    await start((c) => {
      c.quotas.pepMaxNodes = 2;
    });
    expect(outcome(await iq('set', publish('urn:example:one')))).toBe('result');
    expect(outcome(await iq('set', publish('urn:example:two')))).toBe('result');
    const byPublish = await iq('set', publish('urn:example:three'));
    expect(outcome(byPublish)).toBe('policy-violation');
    expect(pubsubCondition(byPublish)).toBe('max-nodes-exceeded');
    const byCreate = await iq(
      'set',
      `<pubsub xmlns='${NS_PUBSUB}'><create node='urn:example:four'/></pubsub>`,
    );
    expect(outcome(byCreate)).toBe('policy-violation');
    expect(pubsubCondition(byCreate)).toBe('max-nodes-exceeded');
    expect((await h.stores.pubsub.listNodes(ALICE)).map((n) => n.node)).toEqual([
      'urn:example:one',
      'urn:example:two',
    ]);
    // Publishing to an existing node still works, and deleting one makes room.
    expect(outcome(await iq('set', publish('urn:example:one')))).toBe('result');
    const del = `<pubsub xmlns='${NS_PUBSUB}#owner'><delete node='urn:example:two'/></pubsub>`;
    expect(outcome(await iq('set', del))).toBe('result');
    expect(outcome(await iq('set', publish('urn:example:three')))).toBe('result');
  });

  it('a vCard photo still becomes the PEP avatar at the limit (the server mirrors it, not the client)', async () => {
    await start((c) => {
      c.quotas.pepMaxNodes = 1;
    });
    expect(outcome(await iq('set', publish('urn:example:one')))).toBe('result');
    const photo = Buffer.from('not really a png').toString('base64');
    const vcard = `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>${photo}</BINVAL></PHOTO></vCard>`;
    expect(outcome(await iq('set', vcard))).toBe('result');
    expect((await h.stores.pubsub.listNodes(ALICE)).length).toBeGreaterThan(1);
  });
});

describe('pubsub.maxPayloadBytes on PEP items', () => {
  it('an item larger than the limit gets not-acceptable + payload-too-big and is not stored', async () => {
    await start((c) => {
      c.pubsub.maxPayloadBytes = 1024;
    });
    const big = await iq(
      'set',
      publish('urn:example:big', `<entry xmlns='urn:example:e'>${'b'.repeat(2000)}</entry>`),
    );
    expect(outcome(big)).toBe('not-acceptable');
    expect(pubsubCondition(big)).toBe('payload-too-big');
    expect((await h.stores.pubsub.items(ALICE, 'urn:example:big', {})).count).toBe(0);
  });
});
