import { badRequest, forbidden, notAcceptable } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import { AVATARS, NS_VCARD } from './avatar.js';
import type { ServerModule } from '../types.js';

/**
 * XEP-0054 vcard-temp: a user sets its own vCard (IQ set to its bare JID or
 * without 'to') and anyone gets an account's vCard (IQ get to its bare JID;
 * an account without one answers with an empty vCard). A photo in the vCard
 * becomes the user's PEP avatar and its hash goes into the user's presence
 * (see the avatar module).
 */
export const vcardModule: ServerModule = {
  name: 'vcard',
  configSections: ['pubsub', 'quotas'],
  requires: ['avatar'],
  xeps: [
    { xep: '0054', title: 'vcard-temp', version: '1.2' },
    {
      xep: '0153',
      title: 'vCard-Based Avatars',
      version: '1.1',
      note: 'the server puts the avatar hash in available presence',
    },
  ],
  register(ctx) {
    const a = ctx.use(AVATARS);
    ctx.feature(NS_VCARD);
    ctx.feature(NS_VCARD, 'account');

    ctx.accountIq('get', NS_VCARD, async ({ payload, to }) => {
      if (!payload.is('vCard', NS_VCARD)) throw badRequest('expected <vCard/>');
      const stored = await ctx.stores.vcards.get(to.toBareString());
      return stored ? parseXml(stored) : xml('vCard', { xmlns: NS_VCARD });
    });

    ctx.accountIq('set', NS_VCARD, async ({ payload, from, to }) => {
      const owner = from.toBareString();
      if (to.toBareString() !== owner) throw forbidden('a vCard is set by its own account only');
      if (!payload.is('vCard', NS_VCARD)) throw badRequest('expected <vCard/>');
      const vcard = payload.clone();
      vcard.setAttr('xmlns', NS_VCARD);
      const max = ctx.config.quotas.vcardMaxBytes;
      if (Buffer.byteLength(vcard.toString()) > max)
        throw notAcceptable(`the vCard is larger than ${max} bytes`);
      const photo = await a.storeVcard(owner, vcard);
      await a.vcardToPep(owner, photo);
      return undefined;
    });
  },
};
