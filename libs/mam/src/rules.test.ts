import { describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { parseXml } from '@parley/xml';
import { archivedMessage, mayBeArchivable, notArchivedReason } from './rules.js';
import {
  getStanzaId,
  mayClaimArchive,
  setStanzaId,
  stanzaIdElement,
  stripStanzaIds,
} from './stanza-id.js';

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

  it.each([
    ['case', 'Juliet@Capulet.LIT'],
    ['trailing dot', 'juliet@capulet.lit.'],
    ['case and trailing dot', 'JULIET@CAPULET.LIT.'],
    ['width', '\uff4auliet@capulet.lit'],
    ['a resource of the archive', 'juliet@capulet.lit/forged'],
    ['not a JID (empty resource)', 'juliet@capulet.lit/'],
    ['not a JID (empty label)', 'juliet@capulet.lit..'],
    ['not a JID (space)', 'juliet@capu let.lit'],
    ['empty', ''],
  ])('strips an id whose by is a variant of the archive (%s) or cannot be checked', (_what, by) => {
    const msg = m(
      "type='chat'",
      `<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged'/>` +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.lit' id='r1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='capulet.lit' id='d1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='romeo@capulet.lit' id='o1'/>",
    );
    msg.getChildren('stanza-id', 'urn:xmpp:sid:0')[0]!.setAttr('by', by);
    expect(stripStanzaIds(msg, 'juliet@capulet.lit')).toBe(1);
    expect(msg.getChildren('stanza-id', 'urn:xmpp:sid:0').map((e) => e.attr('id'))).toEqual([
      'r1',
      'd1',
      'o1',
    ]);
  });

  it('strips an id without a by (nobody can check whose it is)', () => {
    const msg = m("type='chat'", "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged'/>");
    expect(stripStanzaIds(msg, 'juliet@capulet.lit')).toBe(1);
  });

  it('finds only its own, exactly named id (getStanzaId)', () => {
    const msg = m(
      "type='chat'",
      "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit/r' id='full'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit/' id='bad'/>",
    );
    expect(getStanzaId(msg, 'juliet@capulet.lit')).toBeUndefined();
  });

  it.each([
    ['by="Juliet@Capulet.LIT"', true],
    ["by='juliet@capulet.lit.'", true],
    ['by="juliet@capulet.lit/r"', true],
    ['by="juliet@capulet.lit/"', true],
    ['by="juli&amp;et@capulet.lit"', true],
    ['id="x"', true],
    [`foo="by='room@muc.lit'>" by="juliet@capulet.lit"`, true],
    ['by="room@muc.lit" by2="x>y"', false],
    ['by="room@muc.lit"', false],
  ])('mayClaimArchive: a serialized <stanza-id %s/> may claim juliet: %s', (attrs, want) => {
    const xml = `<message><body>x</body><stanza-id xmlns="urn:xmpp:sid:0" ${attrs} id="1"/></message>`;
    expect(mayClaimArchive(xml, 'juliet@capulet.lit')).toBe(want);
  });

  it('mayClaimArchive: no stanza-id (an origin-id only) needs no parse; a prefixed one does', () => {
    const origin = '<message><origin-id xmlns="urn:xmpp:sid:0" id="o"/></message>';
    expect(mayClaimArchive(origin, 'juliet@capulet.lit')).toBe(false);
    const prefixed =
      '<message><s:stanza-id xmlns:s="urn:xmpp:sid:0" by="room@muc.lit" id="1"/></message>';
    expect(mayClaimArchive(prefixed, 'juliet@capulet.lit')).toBe(true);
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
