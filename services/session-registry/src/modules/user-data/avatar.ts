import { ServiceKey } from '@parley/modules';
import { createHash } from 'node:crypto';
import type { PublishedEvent } from '@parley/pubsub';
import { payloadOf } from '@parley/pubsub';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { FilterVerdict } from '../../hooks.js';
import type { AccountCache } from '../../account-cache.js';
import { PEP } from '../pubsub/pep-runtime.js';
import type { PepRuntime } from '../pubsub/pep-runtime.js';
import type { ModuleContext, ServerModule } from '../types.js';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_VCARD = 'vcard-temp';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

/** A vCard photo: its bytes as base64 and its media type. */
export interface Photo {
  type: string;
  base64: string;
}

/** SHA-1 of the decoded image, lower-case hex (XEP-0153 and XEP-0084 ids). */
export function photoHash(base64: string): string {
  return createHash('sha1')
    .update(Buffer.from(base64.replace(/\s+/g, ''), 'base64'))
    .digest('hex');
}

/** The PHOTO of a vCard, when it holds inline data (BINVAL). */
export function vcardPhoto(vcard: Element | undefined): Photo | undefined {
  const photo = vcard?.getChild('PHOTO', NS_VCARD);
  const base64 = photo?.getChildText('BINVAL', NS_VCARD)?.replace(/\s+/g, '');
  if (!photo || !base64) return undefined;
  return { type: photo.getChildText('TYPE', NS_VCARD)?.trim() || 'image/png', base64 };
}

/** A copy of the vCard with its PHOTO replaced (or removed when `photo` is undefined). */
export function withPhoto(vcard: Element | undefined, photo: Photo | undefined): Element {
  const out = vcard ? vcard.clone() : xml('vCard', { xmlns: NS_VCARD });
  out.setAttr('xmlns', NS_VCARD);
  for (const old of out.getChildren('PHOTO', NS_VCARD)) out.remove(old);
  if (photo)
    out.append(xml('PHOTO', {}, xml('TYPE', {}, photo.type), xml('BINVAL', {}, photo.base64)));
  return out;
}

/**
 * The avatar state shared by the vcard and avatar modules: each account's
 * current avatar hash ('' = none) as advertised in presence (XEP-0153),
 * cached in the owner's partition and derived from the stored vCard, which
 * both conversions of XEP-0398 keep in step with the PEP avatar.
 */
export class Avatars {
  private readonly hashes: AccountCache<string>;
  readonly pep: PepRuntime;

  constructor(private readonly ctx: ModuleContext) {
    this.hashes = ctx.accountCache<string>();
    this.pep = ctx.use(PEP);
  }

  /** The account's avatar hash ('' when it has none). */
  hash(owner: string): string | Promise<string> {
    const cached = this.hashes.get(owner);
    if (cached !== undefined) return cached;
    return this.ctx.stores.vcards.get(owner).then((raw) => {
      const photo = raw ? vcardPhoto(parseXml(raw)) : undefined;
      const h = photo ? photoHash(photo.base64) : '';
      this.hashes.set(owner, h);
      return h;
    });
  }

  setHash(owner: string, hash: string): void {
    this.hashes.set(owner, hash);
  }

  /** Stores a vCard (already checked) and remembers its avatar hash. */
  async storeVcard(owner: string, vcard: Element): Promise<Photo | undefined> {
    await this.ctx.stores.vcards.set(owner, vcard.toString());
    const photo = vcardPhoto(vcard);
    this.setHash(owner, photo ? photoHash(photo.base64) : '');
    return photo;
  }

  /**
   * XEP-0398 vCard to PEP: the vCard's photo becomes the PEP avatar (data
   * item with the SHA-1 as id, then metadata); no photo disables a PEP
   * avatar that was there. Subscribers of the metadata node are notified.
   */
  async vcardToPep(owner: string, photo: Photo | undefined): Promise<void> {
    const engine = this.pep.engine;
    const current = (await engine.getItems(owner, NS_AVATAR_METADATA, { max: 1 }))[0];
    const currentInfo = current
      ? payloadOf(current)?.getChild('info', NS_AVATAR_METADATA)
      : undefined;
    if (!photo) {
      if (currentInfo)
        await engine.publishItem(owner, NS_AVATAR_METADATA, {
          payload: xml('metadata', { xmlns: NS_AVATAR_METADATA }),
          internal: true,
        });
      return;
    }
    const id = photoHash(photo.base64);
    if (current?.id === id && currentInfo) return;
    await engine.publishItem(owner, NS_AVATAR_DATA, {
      id,
      payload: xml('data', { xmlns: NS_AVATAR_DATA }, photo.base64),
      internal: true,
    });
    const bytes = Buffer.from(photo.base64, 'base64').length;
    await engine.publishItem(owner, NS_AVATAR_METADATA, {
      id,
      payload: xml(
        'metadata',
        { xmlns: NS_AVATAR_METADATA },
        xml('info', { bytes, id, type: photo.type }),
      ),
      internal: true,
    });
  }

  /**
   * XEP-0398 PEP to vCard: a metadata publication puts the image of its
   * first inline info (no url) from the data node into the vCard photo,
   * when its SHA-1 matches; an empty metadata item removes the photo.
   */
  async pepToVcard(ev: PublishedEvent): Promise<void> {
    if (ev.internal || ev.node.node !== NS_AVATAR_METADATA) return;
    const owner = ev.service;
    const metadata = payloadOf(ev.item);
    if (!metadata?.is('metadata', NS_AVATAR_METADATA)) return;
    const raw = await this.ctx.stores.vcards.get(owner);
    const vcard = raw ? parseXml(raw) : undefined;
    const infos = metadata.getChildren('info', NS_AVATAR_METADATA);
    if (infos.length === 0) {
      if (vcard && vcardPhoto(vcard)) await this.storeVcard(owner, withPhoto(vcard, undefined));
      else this.setHash(owner, '');
      return;
    }
    const info = infos.find((i) => i.attr('url') === undefined);
    const id = info?.attr('id');
    if (!info || !id) return;
    const item = (await this.pep.engine.getItems(owner, NS_AVATAR_DATA, { ids: [id] }))[0];
    const data = item ? payloadOf(item) : undefined;
    const base64 = data?.is('data', NS_AVATAR_DATA) ? data.text().replace(/\s+/g, '') : '';
    if (!base64 || photoHash(base64) !== id.toLowerCase()) return;
    const photo: Photo = { type: info.attr('type') ?? 'image/png', base64 };
    await this.storeVcard(owner, withPhoto(vcard, photo));
  }

  /**
   * XEP-0398 section 4: the avatar hash goes into every available presence
   * of the user that has no empty `<photo/>`; an `<x/>` without photo is
   * completed, a different hash replaced by the one the server knows.
   */
  withHash(owner: string, raw: string): string | undefined | Promise<string | undefined> {
    const hash = this.hash(owner);
    if (typeof hash === 'string') return presenceWithHash(raw, hash);
    return hash.then((h) => presenceWithHash(raw, h));
  }
}

/** The presence with the avatar hash, or undefined when it needs no change. */
export function presenceWithHash(raw: string, hash: string): string | undefined {
  const presence = parseXml(raw);
  const x = presence.getChild('x', NS_VCARD_UPDATE);
  const photo = x?.getChild('photo', NS_VCARD_UPDATE);
  if (photo && photo.text().trim() === '') return undefined; // "no avatar / not ready": untouched
  if (photo && (hash === '' || photo.text().trim() === hash)) return undefined;
  if (x) presence.remove(x);
  presence.append(xml('x', { xmlns: NS_VCARD_UPDATE }, xml('photo', {}, hash || undefined)));
  return presence.toString();
}

/** The avatar state, provided by the avatar module to the vcard module. */
export const AVATARS = new ServiceKey<Avatars>('avatars');

/**
 * XEP-0084 User Avatar over PEP with the XEP-0398 conversion: publishing a
 * PEP avatar (metadata after data) updates the vCard photo, and the vcard
 * module publishes a vCard photo as PEP avatar; the avatar hash is put in
 * the user's available presence (XEP-0153 with XEP-0398 section 4).
 */
export const avatarModule: ServerModule = {
  name: 'avatar',
  requires: ['pep'],
  xeps: [
    {
      xep: '0084',
      title: 'User Avatar',
      version: '1.1.4',
      note: 'PEP nodes; converted to and from the vCard photo',
    },
    {
      xep: '0398',
      title: 'User Avatar to vCard-Based Avatars Conversion',
      version: '0.2.1',
      note: 'both directions; the hash is injected into available presence, directed presence included',
    },
  ],
  register(ctx) {
    const a = new Avatars(ctx);
    ctx.provide(AVATARS, a);
    ctx.feature(NS_PEP_VCARD_CONVERSION, 'account');
    a.pep.onPublished((ev) => a.pepToVcard(ev));
    ctx.onOutbound(({ env, from, generated }) => {
      if (generated || env.kind !== 'presence' || env.type !== '') return undefined;
      const rewritten = a.withHash(from.toBareString(), env.xml);
      const wrap = (xml: string | undefined): FilterVerdict =>
        xml === undefined ? undefined : { replace: { ...env, xml } };
      return rewritten instanceof Promise ? rewritten.then(wrap) : wrap(rewritten);
    });
  },
};
