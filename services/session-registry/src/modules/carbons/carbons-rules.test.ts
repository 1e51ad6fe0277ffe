import { parseXml } from '@parley/xml';
import { describe, expect, it } from 'vitest';
import { isEligible, plainChat } from './carbons-rules.js';

const msg = (attrs: string, body = '') => parseXml(`<message ${attrs}>${body}</message>`);

describe('XEP-0280 eligibility (urn:xmpp:carbons:rules:0)', () => {
  it('copies chat messages, with or without a body', () => {
    expect(isEligible(msg("type='chat'", '<body>hi</body>'), 'received')).toBe(true);
    expect(
      isEligible(
        msg("type='chat'", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"),
        'sent',
      ),
    ).toBe(true);
  });

  it('copies normal messages with a body or an IM payload, not others', () => {
    expect(isEligible(msg('', '<body>hi</body>'), 'received')).toBe(true);
    expect(
      isEligible(msg("type='normal'", "<received xmlns='urn:xmpp:receipts' id='x'/>"), 'sent'),
    ).toBe(true);
    expect(
      isEligible(msg('', "<displayed xmlns='urn:xmpp:chat-markers:0' id='x'/>"), 'received'),
    ).toBe(true);
    expect(
      isEligible(msg('', "<event xmlns='http://jabber.org/protocol/pubsub#event'/>"), 'received'),
    ).toBe(false);
  });

  it('never copies errors, groupchat or headline messages', () => {
    for (const type of ['error', 'groupchat', 'headline'])
      expect(isEligible(msg(`type='${type}'`, '<body>x</body>'), 'received')).toBe(false);
  });

  it('honours <private/> and <no-copy/>', () => {
    expect(
      isEligible(msg("type='chat'", "<body>x</body><private xmlns='urn:xmpp:carbons:2'/>"), 'sent'),
    ).toBe(false);
    expect(
      isEligible(msg("type='chat'", "<body>x</body><no-copy xmlns='urn:xmpp:hints'/>"), 'sent'),
    ).toBe(false);
  });

  it('never copies a carbon copy', () => {
    const copy = msg(
      "type='chat'",
      "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message type='chat'/></forwarded></sent>",
    );
    expect(isEligible(copy, 'received')).toBe(false);
  });

  it('MUC: private messages are copied when sent, not when received; invitations always', () => {
    const pm = msg(
      "type='chat'",
      "<body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/>",
    );
    expect(isEligible(pm, 'sent')).toBe(true);
    expect(isEligible(pm, 'received')).toBe(false);
    const mediated = msg(
      '',
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b.example'/></x>",
    );
    expect(isEligible(mediated, 'received')).toBe(true);
    expect(
      isEligible(msg('', "<x xmlns='jabber:x:conference' jid='room@muc.example'/>"), 'received'),
    ).toBe(true);
  });

  it('recognises chat messages that need no parsing', () => {
    expect(plainChat('chat', '<message type="chat"><body>hi</body></message>')).toBe(true);
    expect(plainChat('chat', '<message><private xmlns="urn:xmpp:carbons:2"/></message>')).toBe(
      false,
    );
    expect(plainChat('normal', '<message><body>hi</body></message>')).toBe(false);
  });
});
