import { describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { parseXml } from '@parley/xml';
import { archivedMessage, mayBeArchivable, notArchivedReason } from './rules.js';
import { getStanzaId, setStanzaId, stanzaIdElement, stripStanzaIds } from './stanza-id.js';

const m = (attrs: string, inner: string) =>
  parseXml(`<message xmlns='jabber:client' ${attrs}>${inner}</message>`);

describe('what is archived', () => {
  it.each([
    ["type='chat'", '<body>hi</body>', undefined],
    ["type='normal'", '<body>hi</body>', undefined],
    ['', '<body>hi</body>', undefined],
    ["type='chat'", '<body/>', undefined],
    ["type='chat'", "<active xmlns='http://jabber.org/protocol/chatstates'/>", 'no-body'],
    ["type='groupchat'", '<body>hi</body>', 'type'],
    ["type='headline'", '<body>hi</body>', 'type'],
    ["type='error'", '<body>hi</body>', 'type'],
    ["type='chat'", "<body>hi</body><no-store xmlns='urn:xmpp:hints'/>", 'hint'],
    ["type='chat'", "<body>hi</body><no-permanent-store xmlns='urn:xmpp:hints'/>", 'hint'],
    [
      "type='chat'",
      "<body>hi</body><no-permanent-store xmlns='urn:xmpp:hints'/><store xmlns='urn:xmpp:hints'/>",
      undefined,
    ],
    ["type='chat'", "<received xmlns='urn:xmpp:carbons:2'/>", 'no-body'],
    // XEP-0334: a <store/> hint asks for a message without a body to be stored.
    [
      "type='chat'",
      "<displayed xmlns='urn:xmpp:chat-markers:0' id='x'/><store xmlns='urn:xmpp:hints'/>",
      undefined,
    ],
    ["type='chat'", "<no-store xmlns='urn:xmpp:hints'/>", 'no-body'],
    ["type='groupchat'", "<store xmlns='urn:xmpp:hints'/>", 'type'],
    ["type='chat'", "<body xmlns='urn:other'>x</body>", 'no-body'],
  ])('<message %s>%s</message>: %s', (attrs, inner, reason) => {
    expect(notArchivedReason(m(attrs, inner))).toBe(reason);
  });

  it('refuses non-messages', () => {
    expect(notArchivedReason(parseXml('<presence><body>x</body></presence>'))).toBe(
      'not-a-message',
    );
  });

  it('pre-checks serialized messages without parsing', () => {
    expect(mayBeArchivable('chat', '<message><body>x</body></message>')).toBe(true);
    expect(mayBeArchivable('', '<message><body>x</body></message>')).toBe(true);
    expect(mayBeArchivable('groupchat', '<message><body>x</body></message>')).toBe(false);
    expect(mayBeArchivable('chat', '<message><active/></message>')).toBe(false);
    expect(
      mayBeArchivable('chat', "<message><displayed/><store xmlns='urn:xmpp:hints'/></message>"),
    ).toBe(true);
  });

  it('builds the archive record with the peer as with/withResource', () => {
    const msg = m("type='chat'", '<body>x</body>');
    expect(archivedMessage('id1', 5, parseJID('romeo@montague.lit/orchard'), msg)).toEqual({
      id: 'id1',
      ts: 5,
      with: 'romeo@montague.lit',
      withResource: 'orchard',
      xml: msg.toString(),
    });
    expect(archivedMessage('id2', 6, parseJID('romeo@montague.lit'), '<message/>')).toEqual({
      id: 'id2',
      ts: 6,
      with: 'romeo@montague.lit',
      xml: '<message/>',
    });
  });
});

describe('stanza-id', () => {
  it('builds the element', () => {
    expect(stanzaIdElement('juliet@capulet.lit', 'abc').toString()).toBe(
      '<stanza-id xmlns="urn:xmpp:sid:0" by="juliet@capulet.lit" id="abc"/>',
    );
  });

  it('strips ids claiming to be by the archive (normalized), keeps others', () => {
    const msg = m(
      "type='chat'",
      "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='Juliet@Capulet.lit' id='forged'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.lit' id='r1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit' id='forged2'/>",
    );
    expect(getStanzaId(msg, 'juliet@capulet.lit')).toBe('forged');
    expect(stripStanzaIds(msg, 'juliet@capulet.lit')).toBe(2);
    expect(getStanzaId(msg, 'juliet@capulet.lit')).toBeUndefined();
    expect(getStanzaId(msg, 'room@muc.lit')).toBe('r1');
  });

  it('sets exactly one id per archive', () => {
    const msg = m(
      "type='chat'",
      "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit' id='forged'/>",
    );
    setStanzaId(msg, 'juliet@capulet.lit', 'real');
    const ids = msg.getChildren('stanza-id', 'urn:xmpp:sid:0');
    expect(ids).toHaveLength(1);
    expect(ids[0]!.attr('id')).toBe('real');
  });
});
