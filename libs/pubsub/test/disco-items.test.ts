import { describe, expect, it } from 'vitest';
import { Harness, PS, SERVICE, createConfigured, jid } from './helpers.js';

const HAMLET = 'hamlet@example.org/elsinore';
const FRANCISCO = 'francisco@example.org/barracks';

describe('discoItems', () => {
  it('lists the nodes the requester may retrieve, then the item ids of one node', async () => {
    const h = new Harness();
    await h.iq(HAMLET, 'set', createConfigured('pub', { 'pubsub#title': 'Musings' }));
    await h.iq(HAMLET, 'set', createConfigured('priv', { 'pubsub#access_model': 'whitelist' }));
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
