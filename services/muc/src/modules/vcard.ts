import { createHash } from 'node:crypto';
import { badRequest, forbidden } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucContext } from '../muc-context.js';
import { NS_VCARD } from '../ns.js';
import type { Room } from '../room.js';
import type { MucModule } from './types.js';

async function vcardGet(core: MucContext, room: Room): Promise<Element> {
  const stored = await core.stores.vcards.get(room.jid);
  if (stored) {
    try {
      return parseXml(stored);
    } catch {
      // fall through to an empty vCard
    }
  }
  return xml('vCard', { xmlns: NS_VCARD });
}

/** XEP-0486: owners set the room's vCard; its photo hashes go into disco#info, occupants hear 104. */
async function vcardSet(
  core: MucContext,
  room: Room,
  affiliation: string,
  vcard: Element,
): Promise<void> {
  if (affiliation !== 'owner') throw forbidden('Only owners may set the room vCard');
  if (!vcard.is('vCard', NS_VCARD)) throw badRequest();
  const hashes: string[] = [];
  for (const photo of vcard.getChildren('PHOTO')) {
    const bin = photo.getChildText('BINVAL')?.replace(/\s+/g, '');
    if (bin) hashes.push(createHash('sha1').update(Buffer.from(bin, 'base64')).digest('hex'));
  }
  if (vcard.getChildElements().length === 0) await core.stores.vcards.delete(room.jid);
  else await core.stores.vcards.set(room.jid, vcard.toString());
  const changed = hashes.join() !== room.avatar.join();
  room.avatar = hashes;
  await core.save(room);
  if (changed) core.statusMessage(room, [104]);
}

/**
 * The room's vCard (XEP-0054 on the room JID, XEP-0486 room avatars):
 * anyone reads it, owners set it; its photo hashes are the room's
 * `muc#roominfo_avatarhash`. A vCard request to an occupant JID is not
 * this module's: the core forwards it to the occupant's bare JID.
 */
export const mucVcardModule: MucModule = {
  name: 'muc-vcard',
  xeps: [
    { xep: '0054', title: 'vcard-temp', version: '1.2', note: 'the room vCard' },
    { xep: '0486', title: 'MUC Avatars', version: '0.1.0', note: 'room vCard set by owners' },
  ],
  register(ctx) {
    ctx.roomFeature(NS_VCARD);
    ctx.roomIq('get', NS_VCARD, ({ room }) => vcardGet(ctx.core, room));
    ctx.roomIq('set', NS_VCARD, ({ room, actor, payload }) =>
      vcardSet(ctx.core, room, actor.affiliation, payload),
    );
  },
};
