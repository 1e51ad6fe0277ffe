import { describe, expect, it } from 'vitest';
import { readForm } from '@parley/stanza';
import {
  applyConfigForm,
  configForm,
  defaultRoomConfig,
  fromStored,
  toStored,
} from './room-config.js';
import { form, mucConfig } from './testing/harness.js';

const limits = { maxUsers: 1000, maxHistory: 100 };

describe('room configuration (XEP-0045 10.2)', () => {
  const defaults = defaultRoomConfig(
    mucConfig({ muc: { roomDefaults: { persistent: true, historyLength: 30 } } }),
  );

  it('takes its defaults from the muc.roomDefaults configuration', () => {
    expect(defaults.persistent).toBe(true);
    expect(defaults.historyLength).toBe(30);
    expect(defaults.whois).toBe('moderators');
    expect(defaults.logging).toBe(true);
  });

  it('round-trips through the stored record and the form', () => {
    const c = {
      ...defaults,
      name: 'Room',
      membersOnly: true,
      getMemberList: ['moderator' as const],
    };
    expect(fromStored(toStored(c), defaultRoomConfig(mucConfig()))).toEqual(c);
    const shown = readForm(
      configForm('r@conference.localhost', c, { admins: [], owners: ['o@localhost'] }, limits),
    )!;
    expect(shown.formType).toBe('http://jabber.org/protocol/muc#roomconfig');
    expect(shown.fields.get('muc#roomconfig_roomname')).toEqual(['Room']);
    expect(shown.fields.get('muc#roomconfig_membersonly')).toEqual(['1']);
    expect(shown.fields.get('muc#roomconfig_roomowners')).toEqual(['o@localhost']);
  });

  it('applies submitted fields, keeps the others, validates values', () => {
    const sub = applyConfigForm(
      defaults,
      readForm(
        form({
          'muc#roomconfig_moderatedroom': 'true',
          'muc#roomconfig_historylength': '5',
          'muc#roomconfig_presencebroadcast': ['moderator', 'participant'],
          'muc#roomconfig_roomowners': ['a@localhost', 'b@localhost'],
        }),
      )!,
      limits,
    );
    expect(sub.config.moderated).toBe(true);
    expect(sub.config.historyLength).toBe(5);
    expect(sub.config.presenceBroadcast).toEqual(['moderator', 'participant']);
    expect(sub.config.persistent).toBe(true);
    expect(sub.owners).toEqual(['a@localhost', 'b@localhost']);
    expect(sub.admins).toBeUndefined();
    const bad = (f: Record<string, string>) => () =>
      applyConfigForm(defaults, readForm(form(f))!, limits);
    expect(bad({ 'muc#roomconfig_maxusers': '5000' })).toThrow(/maxusers/);
    expect(bad({ 'muc#roomconfig_whois': 'everybody' })).toThrow(/whois/);
    expect(bad({ 'muc#roomconfig_publicroom': 'maybe' })).toThrow(/boolean/);
    expect(bad({ 'muc#roomconfig_passwordprotectedroom': '1' })).toThrow(/password/);
    expect(
      applyConfigForm(
        defaults,
        readForm(
          form({ 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 's' }),
        )!,
        limits,
      ).config.password,
    ).toBe('s');
  });
});
