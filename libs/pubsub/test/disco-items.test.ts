import { describe, expect, it } from 'vitest';
import { Harness, NODE_CONFIG, PS, SERVICE, form, jid } from './helpers.js';

const HAMLET = 'hamlet@example.org/elsinore';
const FRANCISCO = 'francisco@example.org/barracks';

describe('discoItems', () => {
  it('lists the nodes the requester may retrieve, then the item ids of one node', async () => {
    const h = new Harness();
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${PS}><create node='pub'/><configure>${form(NODE_CONFIG, { 'pubsub#title': 'Musings' })}</configure></pubsub>`,
    );
    await h.iq(
      HAMLET,
      'set',
      `<pubsub ${PS}><create node='priv'/><configure>${form(NODE_CONFIG, { 'pubsub#access_model': 'whitelist' })}</configure></pubsub>`,
    );
    for (const id of ['i1', 'i2'])
      await h.iq(
        HAMLET,
        'set',
        `<pubsub ${PS}><publish node='pub'><item id='${id}'><x xmlns='urn:example'/></item></publish></pubsub>`,
      );

    const nodes = await h.engine.discoItems(SERVICE, undefined, jid(FRANCISCO));
    expect(nodes.map(String)).toEqual([`<item jid="${SERVICE}" node="pub" name="Musings"/>`]);
    const mine = await h.engine.discoItems(SERVICE, undefined, jid(HAMLET));
    expect(mine.map((i) => i.attr('node'))).toEqual(['priv', 'pub']);
    expect(mine[0]!.attr('name')).toBeUndefined();

    const items = await h.engine.discoItems(SERVICE, 'pub', jid(FRANCISCO));
    expect(items.map(String)).toEqual([
      `<item jid="${SERVICE}" name="i2"/>`,
      `<item jid="${SERVICE}" name="i1"/>`,
    ]);
    await expect(h.engine.discoItems(SERVICE, 'priv', jid(FRANCISCO))).rejects.toMatchObject({
      condition: 'item-not-found',
    });
  });
});
