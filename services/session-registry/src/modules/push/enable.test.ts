import { describe, expect, it } from 'vitest';
import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { MAX_OPTION_FIELDS, readDisable, readEnable } from './enable.js';

const NS = 'urn:xmpp:push:0';
const PO = 'http://jabber.org/protocol/pubsub#publish-options';
const form = (type: string, fields: string) =>
  `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${type}</value></field>${fields}</x>`;

function condition(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return undefined;
}

describe('readEnable / readDisable', () => {
  it('reads the JID (normalized), node and publish options', () => {
    const el = parseXml(
      `<enable xmlns='${NS}' jid='Push.Example.ORG' node='n1'>${form(PO, "<field var='secret'><value>s</value></field>")}</enable>`,
    );
    expect(readEnable(el)).toEqual({
      jid: 'push.example.org',
      node: 'n1',
      options: { secret: ['s'] },
    });
    expect(readEnable(parseXml(`<enable xmlns='${NS}' jid='p.example.org'/>`))).toEqual({
      jid: 'p.example.org',
      node: '',
      options: {},
    });
    expect(readDisable(parseXml(`<disable xmlns='${NS}' jid='p.example.org'/>`))).toEqual({
      jid: 'p.example.org',
    });
    expect(readDisable(parseXml(`<disable xmlns='${NS}' jid='p.example.org' node='n'/>`))).toEqual({
      jid: 'p.example.org',
      node: 'n',
    });
  });

  it('refuses a missing or bad JID, another form type, two forms, too many or too long options', () => {
    expect(condition(() => readEnable(parseXml(`<enable xmlns='${NS}' node='n'/>`)))).toBe(
      'bad-request',
    );
    expect(condition(() => readEnable(parseXml(`<enable xmlns='${NS}' jid='a@b@c'/>`)))).toBe(
      'jid-malformed',
    );
    expect(
      condition(() =>
        readEnable(
          parseXml(`<enable xmlns='${NS}' jid='p.example.org'>${form('urn:x', '')}</enable>`),
        ),
      ),
    ).toBe('bad-request');
    expect(
      condition(() =>
        readEnable(
          parseXml(
            `<enable xmlns='${NS}' jid='p.example.org'>${form(PO, '')}${form(PO, '')}</enable>`,
          ),
        ),
      ),
    ).toBe('bad-request');
    const many = Array.from(
      { length: MAX_OPTION_FIELDS + 1 },
      (_, i) => `<field var='f${i}'><value>v</value></field>`,
    ).join('');
    expect(
      condition(() =>
        readEnable(
          parseXml(`<enable xmlns='${NS}' jid='p.example.org'>${form(PO, many)}</enable>`),
        ),
      ),
    ).toBe('bad-request');
    const long = `<field var='secret'><value>${'s'.repeat(2000)}</value></field>`;
    expect(
      condition(() =>
        readEnable(
          parseXml(`<enable xmlns='${NS}' jid='p.example.org'>${form(PO, long)}</enable>`),
        ),
      ),
    ).toBe('bad-request');
    expect(
      condition(() =>
        readEnable(
          parseXml(`<enable xmlns='${NS}' jid='p.example.org' node='${'n'.repeat(2000)}'/>`),
        ),
      ),
    ).toBe('bad-request');
  });
});
