import { describe, expect, it } from 'vitest';
import { bareOf } from '@parley/jid';
import { NS_PUBSUB_EVENT } from '../src/index.js';
import {
  Harness,
  NODE_CONFIG,
  OWNER,
  PS,
  PUBLISH_OPTIONS,
  SERVICE,
  createConfigured,
  describeError,
  form,
  jid,
} from './helpers.js';

const HAMLET = 'hamlet@example.org/elsinore';
const FRANCISCO = 'francisco@example.org/barracks';
const entry = (n: number) =>
  `<entry xmlns='http://www.w3.org/2005/Atom'><title>${n}</title></entry>`;
const publish = (node: string, id: string | undefined, payload: string, options = '') =>
  `<pubsub ${PS}><publish node='${node}'><item${id ? ` id='${id}'` : ''}>${payload}</item></publish>${options}</pubsub>`;
const create = (node: string) => `<pubsub ${PS}><create node='${node}'/></pubsub>`;
const subscribe = (node: string, jid: string) =>
  `<pubsub ${PS}><subscribe node='${node}' jid='${jid}'/></pubsub>`;

async function itemIds(
  h: Harness,
  from: string,
  attrs = "node='n'",
  inner = '',
): Promise<string[]> {
  const r = await h.iq(from, 'get', `<pubsub ${PS}><items ${attrs}>${inner}</items></pubsub>`);
  return r!
    .getChild('items')!
    .getChildren('item')
    .map((i) => i.attr('id')!);
}

describe('create, configure, delete', () => {
  it('creates a node with the default configuration, refuses a second one with conflict', async () => {
    const h = new Harness();
    expect(await h.iq(HAMLET, 'set', create('n'))).toBeUndefined();
    expect(await h.failure(HAMLET, 'set', create('n'))).toBe('conflict');
    const affs = await h.store.affiliations(SERVICE, 'n');
    expect(affs).toEqual([{ jid: 'hamlet@example.org', affiliation: 'owner' }]);
  });

  it('creates an instant node and names it in the result', async () => {
    const h = new Harness();
    const r = await h.iq(HAMLET, 'set', `<pubsub ${PS}><create/></pubsub>`);
    const node = r!.getChild('create')!.attr('node')!;
    expect(node).toMatch(/^[0-9a-f-]{36}$/);
    expect(await h.store.getNode(SERVICE, node)).toBeDefined();
  });

  it('refuses node creation to entities the service does not allow (forbidden)', async () => {
    const h = new Harness();
    const err = await h.fails('mallory@evil.example/x', 'set', create('n'));
    expect(describeError(err)).toBe('forbidden');
  });

  it('creates and configures at once; unsupported access models are not-acceptable', async () => {
    const h = new Harness();
    await h.iq(
      HAMLET,
      'set',
      createConfigured('n', {
        'pubsub#access_model': 'whitelist',
        'pubsub#max_items': '3',
        'pubsub#title': 'Princely Musings',
      }),
    );
    const cfg = (await h.engine.getNode(SERVICE, 'n'))!.config;
    expect(cfg).toMatchObject({
      access_model: 'whitelist',
      max_items: 3,
      title: 'Princely Musings',
    });
    const err = await h.fails(
      HAMLET,
      'set',
      createConfigured('m', {
        'pubsub#access_model': 'telepathy',
      }),
    );
    expect(describeError(err)).toBe('not-acceptable/unsupported-access-model');
    const bad = await h.fails(
      HAMLET,
      'set',
      `<pubsub ${PS}><create node='m'/><configure node='m'>${form(NODE_CONFIG, {})}</configure></pubsub>`,
    );
    expect(describeError(bad)).toBe('bad-request');
  });

  it('returns the configuration form to owners only and applies a submitted one', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    const r = await h.iq(HAMLET, 'get', `<pubsub ${OWNER}><configure node='n'/></pubsub>`);
    const x = r!.getChild('configure')!.getChild('x', 'jabber:x:data')!;
    expect(x.attr('type')).toBe('form');
    const field = (v: string) => x.getChildren('field').find((f) => f.attr('var') === v);
    expect(field('FORM_TYPE')!.getChildText('value')).toBe(NODE_CONFIG);
    expect(field('pubsub#access_model')!.getChildText('value')).toBe('open');
    expect(field('pubsub#access_model')!.getChildren('option')).toHaveLength(5);
    expect(
      await h.failure(FRANCISCO, 'get', `<pubsub ${OWNER}><configure node='n'/></pubsub>`),
    ).toBe('forbidden');
    expect(await h.failure(HAMLET, 'get', `<pubsub ${OWNER}><configure/></pubsub>`)).toBe(
      'bad-request/nodeid-required',
    );
    expect(await h.failure(HAMLET, 'get', `<pubsub ${OWNER}><configure node='zz'/></pubsub>`)).toBe(
      'item-not-found',
    );
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><configure node='n'>${form(NODE_CONFIG, { 'pubsub#max_items': 'max', 'pubsub#notify_config': '1' })}</configure></pubsub>`,
    );
    expect((await h.engine.getNode(SERVICE, 'n'))!.config).toMatchObject({
      max_items: 'max',
      notify_config: true,
    });
    const tooMany = await h.fails(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><configure node='n'>${form(NODE_CONFIG, { 'pubsub#max_items': '101' })}</configure></pubsub>`,
    );
    expect(describeError(tooMany)).toBe('not-acceptable');
    // A cancelled form changes nothing.
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><configure node='n'><x xmlns='jabber:x:data' type='cancel'/></configure></pubsub>`,
    );
    expect((await h.engine.getNode(SERVICE, 'n'))!.config.max_items).toBe('max');
  });

  it('notifies subscribers of configuration changes when notify_config is set', async () => {
    const h = new Harness({ defaults: { notify_config: true } });
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    h.take();
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><configure node='n'>${form(NODE_CONFIG, { 'pubsub#title': 'T' })}</configure></pubsub>`,
    );
    const [msg] = h.take();
    const conf = msg!.getChild('event', NS_PUBSUB_EVENT)!.getChild('configuration')!;
    expect(conf.attr('node')).toBe('n');
    expect(conf.getChild('x', 'jabber:x:data')).toBeDefined();
  });

  it('deletes a node with its items, telling subscribers with the redirect', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    await h.iq(HAMLET, 'set', publish('n', 'a', entry(1)));
    h.take();
    expect(await h.failure(FRANCISCO, 'set', `<pubsub ${OWNER}><delete node='n'/></pubsub>`)).toBe(
      'forbidden',
    );
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><delete node='n'><redirect uri='xmpp:x@y?;node=z'/></delete></pubsub>`,
    );
    const [msg] = h.take();
    expect(msg!.attr('to')).toBe('francisco@example.org');
    const del = msg!.getChild('event', NS_PUBSUB_EVENT)!.getChild('delete')!;
    expect(del.attr('node')).toBe('n');
    expect(del.getChild('redirect')!.attr('uri')).toBe('xmpp:x@y?;node=z');
    expect(await h.store.getNode(SERVICE, 'n')).toBeUndefined();
    expect(await h.failure(HAMLET, 'set', `<pubsub ${OWNER}><delete node='n'/></pubsub>`)).toBe(
      'item-not-found',
    );
  });

  it('returns the default configuration', async () => {
    const h = new Harness();
    const r = await h.iq(FRANCISCO, 'get', `<pubsub ${OWNER}><default/></pubsub>`);
    expect(r!.getChild('default')!.getChild('x', 'jabber:x:data')).toBeDefined();
  });
});

describe('publish and retrieve', () => {
  it('generates an item id when none is given and returns it', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    const r = await h.iq(HAMLET, 'set', publish('n', undefined, entry(1)));
    const id = r!.getChild('publish')!.getChild('item')!.attr('id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const r2 = await h.iq(HAMLET, 'set', publish('n', 'mine', entry(2)));
    expect(r2!.getChild('publish')!.getChild('item')!.attr('id')).toBe('mine');
  });

  it('auto-creates the node on publish', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', publish('fresh', 'a', entry(1)));
    expect(await h.engine.getNode(SERVICE, 'fresh')).toBeDefined();
    const off = new Harness({ autoCreate: false });
    expect(await off.failure(HAMLET, 'set', publish('fresh', 'a', entry(1)))).toBe(
      'item-not-found',
    );
  });

  it('keeps max_items items, dropping the oldest, and replaces an item republished with its id', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('n', { 'pubsub#max_items': '2' }));
    for (const id of ['a', 'b', 'c']) await h.iq(HAMLET, 'set', publish('n', id, entry(1)));
    expect(await itemIds(h, FRANCISCO)).toEqual(['c', 'b']);
    await h.iq(HAMLET, 'set', publish('n', 'b', entry(9)));
    expect(await itemIds(h, FRANCISCO)).toEqual(['b', 'c']);
    const r = await h.iq(
      FRANCISCO,
      'get',
      `<pubsub ${PS}><items node='n'><item id='b'/></items></pubsub>`,
    );
    expect(r!.getChild('items')!.getChild('item')!.getChild('entry')!.getChildText('title')).toBe(
      '9',
    );
  });

  it("'max' keeps the service's limit of items", async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('n', { 'pubsub#max_items': 'max' }));
    for (let i = 0; i < 105; i++) await h.iq(HAMLET, 'set', publish('n', `i${i}`, entry(i)));
    expect(await itemIds(h, FRANCISCO)).toHaveLength(100);
  });

  it('retrieves the newest N items with max_items, by id, and pages with RSM', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('n', { 'pubsub#max_items': '10' }));
    for (const id of ['a', 'b', 'c', 'd']) await h.iq(HAMLET, 'set', publish('n', id, entry(1)));
    expect(await itemIds(h, FRANCISCO, "node='n' max_items='2'")).toEqual(['d', 'c']);
    expect(
      await itemIds(h, FRANCISCO, "node='n'", "<item id='a'/><item id='c'/><item id='zz'/>"),
    ).toEqual(['a', 'c']);
    const page = await h.iq(
      FRANCISCO,
      'get',
      `<pubsub ${PS}><items node='n'/><set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>c</after></set></pubsub>`,
    );
    expect(
      page!
        .getChild('items')!
        .getChildren('item')
        .map((i) => i.attr('id')),
    ).toEqual(['b', 'a']);
    const set = page!.getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect([
      set.getChildText('first'),
      set.getChildText('last'),
      set.getChildText('count'),
    ]).toEqual(['b', 'a', '4']);
    const empty = await h.iq(
      FRANCISCO,
      'get',
      `<pubsub ${PS}><items node='n'><item id='nope'/></items></pubsub>`,
    );
    expect(empty!.getChild('items')!.children).toHaveLength(0);
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items node='zz'/></pubsub>`)).toBe(
      'item-not-found',
    );
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items/></pubsub>`)).toBe(
      'bad-request/nodeid-required',
    );
  });

  it('refuses publishing to those without the right, and malformed publications', async () => {
    const h = new Harness();
    await h.iq(
      HAMLET,
      'set',
      createConfigured('n', { 'pubsub#type': 'http://www.w3.org/2005/Atom' }),
    );
    expect(await h.failure(FRANCISCO, 'set', publish('n', 'x', entry(1)))).toBe('forbidden');
    expect(await h.failure(HAMLET, 'set', `<pubsub ${PS}><publish node='n'/></pubsub>`)).toBe(
      'bad-request/item-required',
    );
    expect(await h.failure(HAMLET, 'set', publish('n', 'x', ''))).toBe(
      'bad-request/payload-required',
    );
    expect(await h.failure(HAMLET, 'set', publish('n', 'x', entry(1) + entry(2)))).toBe(
      'bad-request/invalid-payload',
    );
    expect(await h.failure(HAMLET, 'set', publish('n', 'x', "<tune xmlns='t'/>"))).toBe(
      'bad-request/invalid-payload',
    );
    expect(
      await h.failure(HAMLET, 'set', `<pubsub ${PS}><publish><item/></publish></pubsub>`),
    ).toBe('bad-request/nodeid-required');
    const big = `<entry xmlns='http://www.w3.org/2005/Atom'><title>${'x'.repeat(10_001)}</title></entry>`;
    expect(await h.failure(HAMLET, 'set', publish('n', 'x', big))).toBe(
      'not-acceptable/payload-too-big',
    );
    // A publisher affiliation may publish; open publish_model lets anyone.
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><affiliations node='n'><affiliation jid='francisco@example.org' affiliation='publisher'/></affiliations></pubsub>`,
    );
    await h.iq(FRANCISCO, 'set', publish('n', 'x', entry(1)));
  });

  it('publish-options: precondition-not-met when the node differs, auto-create with the options', async () => {
    const h = new Harness({ defaults: { access_model: 'presence' } });
    const opts = `<publish-options>${form(PUBLISH_OPTIONS, { 'pubsub#access_model': 'open', 'pubsub#max_items': 'max' })}</publish-options>`;
    await h.iq(HAMLET, 'set', publish('n', 'a', entry(1), opts));
    expect((await h.engine.getNode(SERVICE, 'n'))!.config).toMatchObject({
      access_model: 'open',
      max_items: 'max',
    });
    // Same options again: met.
    await h.iq(HAMLET, 'set', publish('n', 'b', entry(2), opts));
    const other = `<publish-options>${form(PUBLISH_OPTIONS, { 'pubsub#access_model': 'whitelist' })}</publish-options>`;
    expect(await h.failure(HAMLET, 'set', publish('n', 'c', entry(3), other))).toBe(
      'conflict/precondition-not-met',
    );
    // Booleans compare by value, not spelling; 'max' matches the numeric limit.
    const spelled = `<publish-options>${form(PUBLISH_OPTIONS, { 'pubsub#persist_items': '1', 'pubsub#max_items': '100' })}</publish-options>`;
    await h.iq(HAMLET, 'set', publish('n', 'd', entry(4), spelled));
  });

  it('retracts items, notifying when asked, and refuses unknown items', async () => {
    const h = new Harness({ defaults: { notify_retract: false } });
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    await h.iq(HAMLET, 'set', publish('n', 'a', entry(1)));
    await h.iq(HAMLET, 'set', publish('n', 'b', entry(1)));
    h.take();
    await h.iq(HAMLET, 'set', `<pubsub ${PS}><retract node='n'><item id='a'/></retract></pubsub>`);
    expect(h.take()).toHaveLength(0);
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${PS}><retract node='n' notify='true'><item id='b'/></retract></pubsub>`,
    );
    const [msg] = h.take();
    expect(msg!.getChild('event')!.getChild('items')!.getChild('retract')!.attr('id')).toBe('b');
    expect(
      await h.failure(
        HAMLET,
        'set',
        `<pubsub ${PS}><retract node='n'><item id='b'/></retract></pubsub>`,
      ),
    ).toBe('item-not-found');
    expect(
      await h.failure(HAMLET, 'set', `<pubsub ${PS}><retract node='n'><item/></retract></pubsub>`),
    ).toBe('bad-request/item-required');
    expect(
      await h.failure(HAMLET, 'set', `<pubsub ${PS}><retract><item id='b'/></retract></pubsub>`),
    ).toBe('bad-request/nodeid-required');
    await h.iq(HAMLET, 'set', publish('n', 'c', entry(1)));
    expect(
      await h.failure(
        FRANCISCO,
        'set',
        `<pubsub ${PS}><retract node='n'><item id='c'/></retract></pubsub>`,
      ),
    ).toBe('forbidden');
  });

  it('purges a node with a single purge notification', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    for (const id of ['a', 'b']) await h.iq(HAMLET, 'set', publish('n', id, entry(1)));
    h.take();
    expect(await h.failure(FRANCISCO, 'set', `<pubsub ${OWNER}><purge node='n'/></pubsub>`)).toBe(
      'forbidden',
    );
    await h.iq(HAMLET, 'set', `<pubsub ${OWNER}><purge node='n'/></pubsub>`);
    const sent = h.take();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.getChild('event')!.getChild('purge')!.attr('node')).toBe('n');
    expect(await itemIds(h, FRANCISCO)).toEqual([]);
  });
});

describe('subscriptions and notifications', () => {
  it('subscribes, notifies each publication with payload, and sends the last item on subscription', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(HAMLET, 'set', publish('n', 'old', entry(0)));
    const r = await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    const sub = r!.getChild('subscription')!;
    expect(sub.attr('subscription')).toBe('subscribed');
    expect(sub.attr('subid')).toBeTruthy();
    expect(h.take()).toHaveLength(0); // the last item follows the IQ result
    await h.flush();
    const [last] = h.take();
    expect(last!.attr('to')).toBe('francisco@example.org');
    expect(last!.getChild('event')!.getChild('items')!.getChild('item')!.attr('id')).toBe('old');
    expect(last!.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    await h.iq(HAMLET, 'set', publish('n', 'new', entry(1)));
    const [note] = h.take();
    expect(note!.attrs).toMatchObject({
      from: SERVICE,
      to: 'francisco@example.org',
      type: 'headline',
    });
    expect(note!.attr('id')).toBeTruthy();
    const item = note!.getChild('event', NS_PUBSUB_EVENT)!.getChild('items')!.getChild('item')!;
    expect(item.attr('id')).toBe('new');
    expect(item.getChild('entry', 'http://www.w3.org/2005/Atom')).toBeDefined();
    // Subscribing again returns the same subscription.
    const again = await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    expect(again!.getChild('subscription')!.attr('subid')).toBe(sub.attr('subid'));
  });

  it('sends notifications without payloads when deliver_payloads is off', async () => {
    const h = new Harness({ defaults: { deliver_payloads: false } });
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', `<pubsub ${PS}><subscribe node='n' jid='${FRANCISCO}'/></pubsub>`);
    await h.iq(HAMLET, 'set', publish('n', 'a', entry(1)));
    const [note] = h.take();
    expect(note!.attr('to')).toBe(FRANCISCO);
    expect(note!.getChild('event')!.getChild('items')!.getChild('item')!.children).toHaveLength(0);
  });

  it('reports subscription errors as XEP-0060 lists them', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('n', { 'pubsub#subscribe': '0' }));
    await h.iq(HAMLET, 'set', create('o'));
    const cases: [string, string][] = [
      [`<subscribe node='o' jid='bernardo@example.org'/>`, 'bad-request/invalid-jid'],
      [`<subscribe node='o'/>`, 'bad-request/jid-required'],
      [`<subscribe jid='francisco@example.org'/>`, 'bad-request/nodeid-required'],
      [`<subscribe node='zz' jid='francisco@example.org'/>`, 'item-not-found'],
      [
        `<subscribe node='n' jid='francisco@example.org'/>`,
        'feature-not-implemented/unsupported:subscribe',
      ],
      [`<unsubscribe node='o' jid='francisco@example.org'/>`, 'unexpected-request/not-subscribed'],
      [`<unsubscribe node='o' jid='bernardo@example.org'/>`, 'forbidden'],
      [
        `<options node='o' jid='francisco@example.org'/>`,
        'feature-not-implemented/unsupported:subscription-options',
      ],
    ];
    for (const [req, expected] of cases)
      expect(await h.failure(FRANCISCO, 'set', `<pubsub ${PS}>${req}</pubsub>`), req).toBe(
        expected,
      );
    await h.iq(FRANCISCO, 'set', subscribe('o', 'francisco@example.org'));
    expect(
      await h.failure(
        FRANCISCO,
        'set',
        `<pubsub ${PS}><unsubscribe node='o' jid='francisco@example.org' subid='bogus'/></pubsub>`,
      ),
    ).toBe('not-acceptable/invalid-subid');
    await h.iq(
      FRANCISCO,
      'set',
      `<pubsub ${PS}><unsubscribe node='o' jid='francisco@example.org'/></pubsub>`,
    );
    expect(await h.store.subscriptions(SERVICE, 'o')).toEqual([]);
  });

  it("lists the entity's subscriptions and affiliations", async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('a'));
    await h.iq(HAMLET, 'set', create('b'));
    await h.iq(FRANCISCO, 'set', subscribe('a', 'francisco@example.org'));
    await h.iq(FRANCISCO, 'set', `<pubsub ${PS}><subscribe node='b' jid='${FRANCISCO}'/></pubsub>`);
    const subs = await h.iq(FRANCISCO, 'get', `<pubsub ${PS}><subscriptions/></pubsub>`);
    expect(
      subs!
        .getChild('subscriptions')!
        .getChildren('subscription')
        .map((s) => `${s.attr('node')} ${s.attr('jid')} ${s.attr('subscription')}`),
    ).toEqual(['a francisco@example.org subscribed', `b ${FRANCISCO} subscribed`]);
    const one = await h.iq(FRANCISCO, 'get', `<pubsub ${PS}><subscriptions node='b'/></pubsub>`);
    expect(one!.getChild('subscriptions')!.getChildren('subscription')).toHaveLength(1);
    const affs = await h.iq(HAMLET, 'get', `<pubsub ${PS}><affiliations/></pubsub>`);
    expect(
      affs!
        .getChild('affiliations')!
        .getChildren('affiliation')
        .map((a) => `${a.attr('node')} ${a.attr('affiliation')}`),
    ).toEqual(['a owner', 'b owner']);
    const none = await h.iq(FRANCISCO, 'get', `<pubsub ${PS}><affiliations/></pubsub>`);
    expect(none!.getChild('affiliations')!.children).toHaveLength(0);
  });

  it('lets owners manage subscriptions and affiliations', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('n'));
    await h.iq(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'));
    const list = await h.iq(HAMLET, 'get', `<pubsub ${OWNER}><subscriptions node='n'/></pubsub>`);
    expect(
      list!
        .getChild('subscriptions')!
        .getChildren('subscription')
        .map((s) => s.attr('jid')),
    ).toEqual(['francisco@example.org']);
    expect(
      await h.failure(FRANCISCO, 'get', `<pubsub ${OWNER}><subscriptions node='n'/></pubsub>`),
    ).toBe('forbidden');
    h.take();
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><subscriptions node='n'><subscription jid='francisco@example.org' subscription='none'/><subscription jid='bard@example.org' subscription='subscribed'/></subscriptions></pubsub>`,
    );
    const told = h
      .take()
      .map(
        (m) =>
          `${m.attr('to')} ${m.getChild('event')!.getChild('subscription')!.attr('subscription')}`,
      );
    expect(told).toEqual(['francisco@example.org none', 'bard@example.org subscribed']);
    expect((await h.store.subscriptions(SERVICE, 'n')).map((s) => s.jid)).toEqual([
      'bard@example.org',
    ]);
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><affiliations node='n'><affiliation jid='bard@example.org' affiliation='outcast'/><affiliation jid='francisco@example.org' affiliation='member'/></affiliations></pubsub>`,
    );
    expect(await h.store.subscriptions(SERVICE, 'n')).toEqual([]); // outcasts lose their subscription
    const affs = await h.iq(HAMLET, 'get', `<pubsub ${OWNER}><affiliations node='n'/></pubsub>`);
    expect(
      affs!
        .getChild('affiliations')!
        .getChildren('affiliation')
        .map((a) => `${a.attr('jid')} ${a.attr('affiliation')}`),
    ).toEqual([
      'bard@example.org outcast',
      'francisco@example.org member',
      'hamlet@example.org owner',
    ]);
    expect(
      await h.failure('bard@example.org/x', 'get', `<pubsub ${PS}><items node='n'/></pubsub>`),
    ).toBe('forbidden');
    const lastOwner = await h.fails(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><affiliations node='n'><affiliation jid='hamlet@example.org' affiliation='none'/></affiliations></pubsub>`,
    );
    expect(describeError(lastOwner)).toBe('not-acceptable');
    const twice = await h.fails(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><affiliations node='n'><affiliation jid='x@example.org' affiliation='member'/><affiliation jid='x@example.org' affiliation='none'/></affiliations></pubsub>`,
    );
    expect(describeError(twice)).toBe('bad-request');
  });
});

describe('access models', () => {
  const setup = async (model: string, extra: Record<string, string | string[]> = {}) => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('n', { 'pubsub#access_model': model, ...extra }));
    await h.iq(HAMLET, 'set', publish('n', 'a', entry(1)));
    return h;
  };
  const items = (h: Harness, who: string) =>
    h.iq(who, 'get', `<pubsub ${PS}><items node='n'/></pubsub>`);
  const subscribeAs = (h: Harness, who: string) => h.iq(who, 'set', subscribe('n', bareOf(who)));

  it("presence: only entities subscribed to an owner's presence", async () => {
    const h = await setup('presence');
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items node='n'/></pubsub>`)).toBe(
      'not-authorized/presence-subscription-required',
    );
    h.roster('hamlet@example.org', 'francisco@example.org', 'to');
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items node='n'/></pubsub>`)).toBe(
      'not-authorized/presence-subscription-required',
    );
    h.roster('hamlet@example.org', 'francisco@example.org', 'from');
    await items(h, FRANCISCO);
    await subscribeAs(h, FRANCISCO);
    // Losing the presence subscription stops notifications.
    h.roster('hamlet@example.org', 'francisco@example.org', 'none');
    h.take();
    await h.iq(HAMLET, 'set', publish('n', 'b', entry(1)));
    expect(h.take()).toHaveLength(0);
  });

  it('roster: only contacts in an allowed group', async () => {
    const h = await setup('roster', { 'pubsub#roster_groups_allowed': ['Friends'] });
    h.roster('hamlet@example.org', 'francisco@example.org', 'both', ['Servants']);
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items node='n'/></pubsub>`)).toBe(
      'not-authorized/not-in-roster-group',
    );
    h.roster('hamlet@example.org', 'francisco@example.org', 'both', ['Servants', 'Friends']);
    await items(h, FRANCISCO);
  });

  it('whitelist: members only, closed-node for the rest', async () => {
    const h = await setup('whitelist');
    expect(await h.failure(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'))).toBe(
      'not-allowed/closed-node',
    );
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${OWNER}><affiliations node='n'><affiliation jid='francisco@example.org' affiliation='member'/></affiliations></pubsub>`,
    );
    await items(h, FRANCISCO);
    await subscribeAs(h, FRANCISCO);
  });

  it('authorize: pending until an owner approves through the authorization form', async () => {
    const h = await setup('authorize');
    h.take();
    const r = await subscribeAs(h, FRANCISCO);
    expect(r!.getChild('subscription')!.attr('subscription')).toBe('pending');
    const [request] = h.take();
    expect(request!.attr('to')).toBe('hamlet@example.org');
    expect(await h.failure(FRANCISCO, 'set', subscribe('n', 'francisco@example.org'))).toBe(
      'not-authorized/pending-subscription',
    );
    expect(await h.failure(FRANCISCO, 'get', `<pubsub ${PS}><items node='n'/></pubsub>`)).toBe(
      'not-authorized/not-subscribed',
    );
    const answer = (await import('@parley/xml')).parseXml(
      `<message from='hamlet@example.org/elsinore' to='${SERVICE}'>${form(
        'http://jabber.org/protocol/pubsub#subscribe_authorization',
        {
          'pubsub#node': 'n',
          'pubsub#subscriber_jid': 'francisco@example.org',
          'pubsub#allow': 'true',
        },
      )}</message>`,
    );
    expect(await h.engine.handleMessage(SERVICE, jid(HAMLET), answer)).toBe(true);
    const sent = h.take();
    expect(sent[0]!.getChild('event')!.getChild('subscription')!.attr('subscription')).toBe(
      'subscribed',
    );
    expect(sent[1]!.getChild('event')!.getChild('items')).toBeDefined(); // last item
    await items(h, FRANCISCO);
  });

  it('a cancel-type error bouncing a notification ends the subscription', async () => {
    const h = await setup('open');
    await subscribeAs(h, FRANCISCO);
    const bounce = (await import('@parley/xml')).parseXml(
      `<message type='error' from='francisco@example.org' to='${SERVICE}'><event xmlns='${NS_PUBSUB_EVENT}'><items node='n'/></event><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`,
    );
    expect(await h.engine.handleMessage(SERVICE, jid('francisco@example.org'), bounce)).toBe(true);
    expect(await h.store.subscriptions(SERVICE, 'n')).toEqual([]);
  });
});

describe('PEP profile', () => {
  const ACCOUNT = 'juliet@example.org';
  const pep = (recipients: string[] = []) =>
    new Harness({
      pep: true,
      defaults: {
        access_model: 'presence',
        max_items: 1,
        send_last_published_item: 'on_sub_and_presence',
      },
      canCreate: (service, who) => who.toBareString() === service,
      implicitRecipients: () => recipients,
    });

  it('the account owns every node; others may neither create nor configure', async () => {
    const h = pep();
    await h.iq(
      `${ACCOUNT}/balcony`,
      'set',
      publish('urn:tune', undefined, "<tune xmlns='urn:tune'/>"),
      ACCOUNT,
    );
    expect(await h.store.affiliations(ACCOUNT, 'urn:tune')).toEqual([]);
    expect(
      await h.failure(
        FRANCISCO,
        'set',
        publish('urn:mood', 'x', "<mood xmlns='urn:mood'/>"),
        ACCOUNT,
      ),
    ).toBe('forbidden');
    expect(
      await h.failure(
        FRANCISCO,
        'get',
        `<pubsub ${OWNER}><configure node='urn:tune'/></pubsub>`,
        ACCOUNT,
      ),
    ).toBe('forbidden');
    const affs = await h.iq(
      `${ACCOUNT}/balcony`,
      'get',
      `<pubsub ${OWNER}><affiliations node='urn:tune'/></pubsub>`,
      ACCOUNT,
    );
    expect(affs!.getChild('affiliations')!.getChildren('affiliation')[0]!.attrs).toMatchObject({
      jid: ACCOUNT,
      affiliation: 'owner',
    });
  });

  it('notifies implicit recipients once, covering a bare-JID subscription of the same account', async () => {
    const h = pep(['romeo@example.org/orchard', `${ACCOUNT}/balcony`]);
    h.roster(ACCOUNT, 'romeo@example.org', 'both');
    await h.iq(
      `${ACCOUNT}/balcony`,
      'set',
      publish('urn:tune', 'a', "<tune xmlns='urn:tune'/>"),
      ACCOUNT,
    );
    await h.iq(
      'romeo@example.org/orchard',
      'set',
      subscribe('urn:tune', 'romeo@example.org'),
      ACCOUNT,
    );
    await h.flush();
    h.take();
    await h.iq(
      `${ACCOUNT}/balcony`,
      'set',
      publish('urn:tune', 'b', "<tune xmlns='urn:tune'/>"),
      ACCOUNT,
    );
    expect(h.take().map((m) => `${m.attr('from')} ${m.attr('to')}`)).toEqual([
      `${ACCOUNT} romeo@example.org/orchard`,
      `${ACCOUNT} ${ACCOUNT}/balcony`,
    ]);
  });

  it('lets the profile filter the recipients last (blocked JIDs)', async () => {
    const h = new Harness({
      pep: true,
      canCreate: () => true,
      implicitRecipients: () => ['romeo@example.org/orchard', 'tybalt@example.org/x'],
      filterRecipients: (_node, list) => list.filter((j) => !j.startsWith('tybalt@')),
    });
    await h.iq(
      `${ACCOUNT}/balcony`,
      'set',
      publish('urn:tune', 'a', "<tune xmlns='urn:tune'/>"),
      ACCOUNT,
    );
    expect(h.take().map((m) => m.attr('to'))).toEqual(['romeo@example.org/orchard']);
  });

  it('sends the last item of the node with a delay (on presence)', async () => {
    const h = pep();
    await h.iq(
      `${ACCOUNT}/balcony`,
      'set',
      publish('urn:tune', 'a', "<tune xmlns='urn:tune'/>"),
      ACCOUNT,
    );
    const node = (await h.engine.getNode(ACCOUNT, 'urn:tune'))!;
    expect(await h.engine.sendLastItem(node, 'romeo@example.org/orchard')).toBe(true);
    const [m] = h.take();
    expect(m!.getChild('delay', 'urn:xmpp:delay')!.attr('from')).toBe(ACCOUNT);
  });

  it("publishItem/retractItem work on the owner's behalf with hooks", async () => {
    const seen: string[] = [];
    const h = new Harness({
      pep: true,
      canCreate: () => true,
      onPublished: (ev) => void seen.push(`pub ${ev.node.node} ${ev.item.id} ${ev.internal}`),
      onRetracted: (ev) => void seen.push(`ret ${ev.ids.join()}`),
    });
    const id = await h.engine.publishItem(ACCOUNT, 'urn:x', {
      payload: (await import('@parley/xml')).parseXml("<x xmlns='urn:x'/>"),
      options: { 'pubsub#access_model': 'whitelist' },
      internal: true,
    });
    expect((await h.engine.getNode(ACCOUNT, 'urn:x'))!.config.access_model).toBe('whitelist');
    expect(await h.engine.retractItem(ACCOUNT, 'urn:x', id)).toBe(true);
    expect(seen).toEqual([`pub urn:x ${id} true`, `ret ${id}`]);
  });
});

describe('service discovery helpers', () => {
  it('describes nodes and lists only those the requester may see', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', create('pub'));
    await h.iq(HAMLET, 'set', createConfigured('priv', { 'pubsub#access_model': 'whitelist' }));
    await h.iq(HAMLET, 'set', publish('pub', 'i1', entry(1)));
    expect((await h.engine.visibleNodes(SERVICE, jid(FRANCISCO))).map((n) => n.node)).toEqual([
      'pub',
    ]);
    expect((await h.engine.visibleNodes(SERVICE, jid(HAMLET))).map((n) => n.node)).toEqual([
      'priv',
      'pub',
    ]);
    const info = await h.engine.nodeInfo(SERVICE, 'pub', jid(FRANCISCO));
    expect(info[0]!.attrs).toMatchObject({ category: 'pubsub', type: 'leaf' });
    await expect(h.engine.nodeInfo(SERVICE, 'priv', jid(FRANCISCO))).rejects.toMatchObject({
      condition: 'item-not-found',
    });
    expect(await h.engine.itemIds(SERVICE, 'pub', jid(FRANCISCO))).toEqual(['i1']);
  });
});
