import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import { photoHash, presenceWithHash, vcardPhoto, withPhoto } from './avatar.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('avatar helpers', () => {
  it('reads, replaces and removes a vCard photo', () => {
    const card = parseXml(
      `<vCard xmlns='vcard-temp'><FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>\n${PNG.slice(0, 20)}\n${PNG.slice(20)}</BINVAL></PHOTO></vCard>`,
    );
    expect(vcardPhoto(card)).toEqual({ type: 'image/png', base64: PNG });
    expect(photoHash(PNG)).toMatch(/^[0-9a-f]{40}$/);
    const none = withPhoto(card, undefined);
    expect(vcardPhoto(none)).toBeUndefined();
    expect(none.getChildText('FN')).toBe('A');
    const jpeg = withPhoto(none, { type: 'image/jpeg', base64: 'AAAA' });
    expect(vcardPhoto(jpeg)).toEqual({ type: 'image/jpeg', base64: 'AAAA' });
    expect(
      vcardPhoto(
        parseXml(`<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>http://x</EXTVAL></PHOTO></vCard>`),
      ),
    ).toBeUndefined();
  });

  it('puts the hash into presence as XEP-0398 section 4 says', () => {
    const h = 'a'.repeat(40);
    const x = (p: string | undefined) =>
      p === undefined ? undefined : parseXml(p).getChild('x', 'vcard-temp:x:update')?.toString();
    // No x: added (with the hash, or empty photo when there is no avatar).
    expect(x(presenceWithHash('<presence/>', h))).toBe(
      `<x xmlns="vcard-temp:x:update"><photo>${h}</photo></x>`,
    );
    expect(x(presenceWithHash('<presence/>', ''))).toBe(
      '<x xmlns="vcard-temp:x:update"><photo/></x>',
    );
    // An x without photo is completed; an empty photo is left alone; a stale hash replaced.
    expect(
      x(presenceWithHash("<presence><x xmlns='vcard-temp:x:update'/></presence>", h)),
    ).toContain(h);
    expect(
      presenceWithHash("<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>", h),
    ).toBeUndefined();
    expect(
      x(
        presenceWithHash(
          "<presence><x xmlns='vcard-temp:x:update'><photo>old</photo></x></presence>",
          h,
        ),
      ),
    ).toContain(h);
    expect(
      presenceWithHash(
        `<presence><x xmlns='vcard-temp:x:update'><photo>${h}</photo></x></presence>`,
        h,
      ),
    ).toBeUndefined();
    // The server knows of no avatar: a client's own hash stays.
    expect(
      presenceWithHash(
        "<presence><x xmlns='vcard-temp:x:update'><photo>mine</photo></x></presence>",
        '',
      ),
    ).toBeUndefined();
  });
});
