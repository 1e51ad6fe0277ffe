/**
 * Rooms the user marked: XEP-0492 Chat Notification Settings (version
 * 0.2.0, urn:xmpp:notification-settings:1) in the `<extensions/>` of the
 * room's XEP-0402 bookmark (PEP node urn:xmpp:bookmarks:1, item id = the
 * room's JID). A push goes to a phone, so the setting read is the one for
 * the disco identity client/phone: the element with both attributes
 * matching, else the one with category `client` only, else the fallback
 * element without attributes (section 4). No setting is `on-mention`.
 */
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
export const NS_NOTIFICATION_SETTINGS = 'urn:xmpp:notification-settings:1';

export type RoomSetting = 'always' | 'on-mention' | 'never';

const SETTINGS: readonly RoomSetting[] = ['always', 'on-mention', 'never'];

/** The setting a phone reads from a `<conference/>` bookmark; undefined when it has none. */
export function phoneSetting(conference: Element): RoomSetting | undefined {
  const notify = conference
    .getChild('extensions', NS_BOOKMARKS2)
    ?.getChild('notify', NS_NOTIFICATION_SETTINGS);
  if (notify === undefined) return undefined;
  let best: { rank: number; setting: RoomSetting } | undefined;
  for (const el of notify.getChildElements()) {
    const setting = SETTINGS.find((s) => el.is(s, NS_NOTIFICATION_SETTINGS));
    if (setting === undefined) continue;
    const category = el.attr('identity-category');
    const type = el.attr('identity-type');
    let rank: number;
    if (category === undefined && type === undefined) rank = 1;
    else if (category === 'client' && type === undefined) rank = 2;
    else if (category === 'client' && type === 'phone') rank = 3;
    else continue;
    if (best === undefined || rank > best.rank) best = { rank, setting };
  }
  return best?.setting;
}

/** The setting stored in a bookmark item's payload ('' or unreadable: none). */
export function settingOfPayload(payload: string): RoomSetting | undefined {
  if (payload === '') return undefined;
  try {
    const el = parseXml(payload);
    return el.is('conference', NS_BOOKMARKS2) ? phoneSetting(el) : undefined;
  } catch {
    return undefined;
  }
}
