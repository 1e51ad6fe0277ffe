import { describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { defaultPrefs, parsePrefs, prefsElement, prefsRule } from './prefs.js';

const NS = 'urn:xmpp:mam:2';

function condition(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return 'none';
}

describe('prefs', () => {
  it('parses default, always and never, normalizing JIDs', () => {
    const prefs = parsePrefs(
      parseXml(
        `<prefs xmlns='${NS}' default='roster'><always><jid>Romeo@Montague.lit</jid><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid><jid>nurse@capulet.lit/kitchen</jid></never></prefs>`,
      ),
    );
    expect(prefs).toEqual({
      default: 'roster',
      always: ['romeo@montague.lit'],
      never: ['montague@montague.lit', 'nurse@capulet.lit/kitchen'],
    });
  });

  it('keeps a JID in both lists in never only; missing lists are empty', () => {
    expect(
      parsePrefs(
        parseXml(
          `<prefs xmlns='${NS}' default='always'><always><jid>a@b</jid></always><never><jid>a@b</jid></never></prefs>`,
        ),
      ),
    ).toEqual({ default: 'always', always: [], never: ['a@b'] });
    expect(parsePrefs(parseXml(`<prefs xmlns='${NS}' default='never'/>`))).toEqual(
      defaultPrefs('never'),
    );
  });

  it('refuses a missing or unknown default and bad JIDs', () => {
    expect(condition(() => parsePrefs(parseXml(`<prefs xmlns='${NS}'/>`)))).toBe('bad-request');
    expect(condition(() => parsePrefs(parseXml(`<prefs xmlns='${NS}' default='x'/>`)))).toBe(
      'bad-request',
    );
    expect(
      condition(() =>
        parsePrefs(
          parseXml(`<prefs xmlns='${NS}' default='always'><never><jid>@x</jid></never></prefs>`),
        ),
      ),
    ).toBe('jid-malformed');
    expect(
      condition(() => parsePrefs(parseXml(`<prefs xmlns='urn:xmpp:mam:1' default='always'/>`))),
    ).toBe('bad-request');
  });

  it('serializes with both lists present', () => {
    expect(prefsElement(defaultPrefs('always')).toString()).toBe(
      `<prefs xmlns="${NS}" default="always"><always/><never/></prefs>`,
    );
    const el = prefsElement({ default: 'roster', always: ['a@b'], never: ['c@d/e'] });
    expect(parsePrefs(parseXml(el.toString()))).toEqual({
      default: 'roster',
      always: ['a@b'],
      never: ['c@d/e'],
    });
  });

  it('matches bare entries to any resource and full entries exactly', () => {
    const prefs = {
      default: 'roster' as const,
      always: ['romeo@montague.lit', 'nurse@capulet.lit/kitchen'],
      never: ['tybalt@capulet.lit', 'romeo@montague.lit/secret'],
    };
    expect(prefsRule(prefs, parseJID('romeo@montague.lit/orchard'))).toBe('always');
    expect(prefsRule(prefs, parseJID('romeo@montague.lit'))).toBe('always');
    expect(prefsRule(prefs, parseJID('romeo@montague.lit/secret'))).toBe('never');
    expect(prefsRule(prefs, parseJID('tybalt@capulet.lit/x'))).toBe('never');
    expect(prefsRule(prefs, parseJID('nurse@capulet.lit/kitchen'))).toBe('always');
    expect(prefsRule(prefs, parseJID('nurse@capulet.lit/garden'))).toBe('roster');
    expect(prefsRule(prefs, parseJID('nurse@capulet.lit'))).toBe('roster');
  });
});
