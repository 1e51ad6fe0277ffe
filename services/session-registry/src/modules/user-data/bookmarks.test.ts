import { describe, expect, it } from 'vitest';
import type { PubsubItem } from '@parley/store';
import { parseXml } from '@parley/xml';
import { NS_BOOKMARKS2, conferencesOf, legacyStorage } from './bookmarks.js';

const item = (id: string, payload: string): PubsubItem => ({
  id,
  publisher: 'a@x',
  ts: 0,
  payload,
});

describe('bookmark conversions', () => {
  it('casts XEP-0402 items into one XEP-0048 storage element, oldest first', () => {
    const storage = legacyStorage([
      item('b@muc.x', `<conference xmlns='${NS_BOOKMARKS2}' name='B'/>`),
      item(
        'a@muc.x',
        `<conference xmlns='${NS_BOOKMARKS2}' name='A' autojoin='1'><nick>n</nick><password>p</password><extensions><x xmlns='urn:x'/></extensions></conference>`,
      ),
      item('junk', `<other xmlns='urn:other'/>`),
    ]);
    expect(storage.toString()).toBe(
      '<storage xmlns="storage:bookmarks">' +
        '<conference jid="a@muc.x" name="A" autojoin="true"><nick>n</nick><password>p</password></conference>' +
        '<conference jid="b@muc.x" name="B" autojoin="false"/>' +
        '</storage>',
    );
  });

  it('reads XEP-0048 conferences as XEP-0402 ones, keeping existing extensions', () => {
    const storage = parseXml(
      `<storage xmlns='storage:bookmarks'>
        <conference jid='Room@MUC.x' name='R' autojoin='true'><nick>me</nick></conference>
        <conference jid='bad jid@@' name='?'/>
        <conference jid='full@muc.x/res'/>
        <url name='web' url='https://example.org'/>
      </storage>`,
    );
    const existing = new Map([
      [
        'room@muc.x',
        parseXml(
          `<conference xmlns='${NS_BOOKMARKS2}'><extensions><pin xmlns='urn:pin'/></extensions></conference>`,
        ),
      ],
    ]);
    const out = conferencesOf(storage, existing);
    expect([...out.keys()]).toEqual(['room@muc.x']);
    expect(out.get('room@muc.x')!.toString()).toBe(
      `<conference xmlns="${NS_BOOKMARKS2}" name="R" autojoin="true"><nick>me</nick><extensions><pin xmlns="urn:pin"/></extensions></conference>`,
    );
  });
});
