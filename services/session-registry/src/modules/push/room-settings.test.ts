import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import { phoneSetting, settingOfPayload } from './room-settings.js';

const conference = (notify: string) =>
  parseXml(
    `<conference xmlns='urn:xmpp:bookmarks:1'><extensions><notify xmlns='urn:xmpp:notification-settings:1'>${notify}</notify></extensions></conference>`,
  );

describe('XEP-0492 settings for a phone', () => {
  it('takes client/phone over client over the fallback element', () => {
    expect(phoneSetting(conference('<always/>'))).toBe('always');
    expect(phoneSetting(conference(`<never/><on-mention identity-category='client'/>`))).toBe(
      'on-mention',
    );
    expect(
      phoneSetting(
        conference(
          `<never identity-category='client' identity-type='pc'/><always identity-category='client' identity-type='phone'/><never/>`,
        ),
      ),
    ).toBe('always');
    expect(phoneSetting(conference(`<always identity-category='gateway'/><never/>`))).toBe('never');
  });

  it('none without a notify element, or with nothing that applies to a phone', () => {
    expect(phoneSetting(parseXml(`<conference xmlns='urn:xmpp:bookmarks:1'/>`))).toBeUndefined();
    expect(
      phoneSetting(conference(`<always identity-category='client' identity-type='pc'/>`)),
    ).toBeUndefined();
    expect(settingOfPayload('')).toBeUndefined();
    expect(settingOfPayload('<not-a-conference/>')).toBeUndefined();
    expect(settingOfPayload('<<<')).toBeUndefined();
  });
});
