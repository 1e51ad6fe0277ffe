/**
 * XEP-0054 vcard-temp with XEP-0153 avatar hashes in presence and the
 * XEP-0398 conversion between vCard photos and XEP-0084 PEP avatars,
 * against the real server with @xmpp/client.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { errorCondition, isPresence, useScenario } from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';
import { itemIds, itemsOf, publish } from './xep0060-helpers.js';

const NS_VCARD = 'vcard-temp';
const NS_UPDATE = 'vcard-temp:x:update';
const NS_DATA = 'urn:xmpp:avatar:data';
const NS_METADATA = 'urn:xmpp:avatar:metadata';

// A 1x1 PNG.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const sha1 = (b64: string) => createHash('sha1').update(Buffer.from(b64, 'base64')).digest('hex');

const vcard = (...children: Element[]) => xml('vCard', { xmlns: NS_VCARD }, ...children);
const photo = (b64: string, type = 'image/png') =>
  xml('PHOTO', {}, xml('TYPE', {}, type), xml('BINVAL', {}, b64));

async function getVcard(p: Peer, to?: string): Promise<Element> {
  const r = await p.iq('get', to, vcard());
  expect(r.attrs.type).toBe('result');
  return r.getChild('vCard', NS_VCARD)!;
}

function photoHashIn(presence: Element): string | undefined {
  const x = presence.getChild('x', NS_UPDATE);
  return x ? (x.getChildText('photo') ?? '') : undefined;
}

describe('XEP-0054 vcard-temp, XEP-0153 and XEP-0398', () => {
  const s = useScenario();

  it('stores the own vCard and gives it to anyone; only the owner may set it', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!);
    const empty = await getVcard(b, alice);
    expect(empty.children).toHaveLength(0);
    const set = await a.iq(
      'set',
      undefined,
      vcard(xml('FN', {}, 'Alice Liddell'), xml('NICKNAME', {}, 'al')),
    );
    expect(set.attrs.type).toBe('result');
    expect((await getVcard(a)).getChildText('FN')).toBe('Alice Liddell');
    const theirs = await getVcard(b, alice);
    expect(theirs.getChildText('NICKNAME')).toBe('al');
    const refused = await b.iq('set', alice, vcard(xml('FN', {}, 'Mallory')));
    expect(errorCondition(refused)).toBe('forbidden');
    expect(await a.discoFeatures('localhost')).toContain(NS_VCARD);
  });

  it('puts the avatar hash in presence, an empty photo when there is none', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const b = await s.login(bob!, { priority: 0 });
    const a = await s.login(alice!);
    await a.send(xml('presence'));
    const first = await b.next(isPresence({ from: a.jid, type: '' }));
    expect(photoHashIn(first)).toBe('');

    await a.iq('set', undefined, vcard(xml('FN', {}, 'Alice'), photo(PNG)));
    b.mark();
    await a.send(xml('presence', {}, xml('status', {}, 'with avatar')));
    const second = await b.next(isPresence({ from: a.jid, type: '' }));
    expect(photoHashIn(second)).toBe(sha1(PNG));

    // An explicit empty <photo/> from the client is left alone (XEP-0398 section 4).
    b.mark();
    await a.send(xml('presence', {}, xml('x', { xmlns: NS_UPDATE }, xml('photo'))));
    const third = await b.next(isPresence({ from: a.jid, type: '' }));
    expect(photoHashIn(third)).toBe('');
  });

  it('publishes a vCard photo as PEP avatar (vCard to PEP)', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    await a.iq('set', undefined, vcard(photo(PNG)));
    const id = sha1(PNG);
    const meta = await itemsOf(a, undefined, NS_METADATA);
    expect(itemIds(meta)).toEqual([id]);
    const info = meta
      .getChild('pubsub')!
      .getChild('items')!
      .getChild('item')!
      .getChild('metadata', NS_METADATA)!
      .getChild('info')!;
    expect(info.attrs).toMatchObject({
      id,
      type: 'image/png',
      bytes: String(Buffer.from(PNG, 'base64').length),
    });
    const data = await itemsOf(a, undefined, NS_DATA);
    expect(
      data.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChildText('data', NS_DATA),
    ).toBe(PNG);
  });

  it('puts a PEP avatar into the vCard (PEP to vCard) and its hash into presence', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    const b = await s.login(bob!, { priority: 0 });
    const id = sha1(PNG);
    await a.iq('set', undefined, vcard(xml('FN', {}, 'Alice')));
    expect(
      (await publish(a, undefined, NS_DATA, id, xml('data', { xmlns: NS_DATA }, PNG))).attrs.type,
    ).toBe('result');
    const metadata = xml(
      'metadata',
      { xmlns: NS_METADATA },
      xml('info', { id, bytes: '70', type: 'image/png', height: '1', width: '1' }),
    );
    expect((await publish(a, undefined, NS_METADATA, id, metadata)).attrs.type).toBe('result');
    const card = await getVcard(b, alice);
    expect(card.getChildText('FN')).toBe('Alice');
    expect(card.getChild('PHOTO')!.getChildText('BINVAL')).toBe(PNG);
    expect(card.getChild('PHOTO')!.getChildText('TYPE')).toBe('image/png');
    await a.send(xml('presence'));
    const p = await b.next(isPresence({ from: a.jid, type: '' }));
    expect(photoHashIn(p)).toBe(id);

    // Disabling the PEP avatar removes the photo.
    await publish(a, undefined, NS_METADATA, 'off', xml('metadata', { xmlns: NS_METADATA }));
    expect((await getVcard(b, alice)).getChild('PHOTO')).toBeUndefined();
    expect(await a.discoFeatures(alice!)).toContain('urn:xmpp:pep-vcard-conversion:0');
  });
});
