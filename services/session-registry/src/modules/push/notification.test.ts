import { describe, expect, it } from 'vitest';
import { readForm } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { MAX_BODY_CHARS, isImportant, mentions, publishIq } from './notification.js';

describe('mentions', () => {
  it('finds the nickname as a word, case-insensitively', () => {
    expect(mentions('hey @Alice, tea?', 'alice')).toBe(true);
    expect(mentions('ALICE: look', 'Alice')).toBe(true);
    expect(mentions('thanks alice', 'alice')).toBe(true);
    expect(mentions('Straße mit Jörg', 'jörg')).toBe(true);
  });

  it('not inside a longer word, and never an empty nick', () => {
    expect(mentions('alicebot says hi', 'alice')).toBe(false);
    expect(mentions('malice', 'alice')).toBe(false);
    expect(mentions('alice_2 is here', 'alice')).toBe(false);
    expect(mentions('malice, then alice', 'alice')).toBe(true);
    expect(mentions('anything', '')).toBe(false);
  });
});

describe('isImportant', () => {
  const msg = (inner: string) => parseXml(`<message xmlns='jabber:client'>${inner}</message>`);
  it('bodies, OMEMO payloads and call proposals; not chat states or receipts', () => {
    expect(isImportant(msg('<body>hi</body>'))).toBe(true);
    expect(isImportant(msg(`<encrypted xmlns='eu.siacs.conversations.axolotl'/>`))).toBe(true);
    expect(isImportant(msg(`<encrypted xmlns='urn:xmpp:omemo:2'/>`))).toBe(true);
    expect(isImportant(msg(`<propose xmlns='urn:xmpp:jingle-message:0' id='c'/>`))).toBe(true);
    expect(isImportant(msg(`<composing xmlns='http://jabber.org/protocol/chatstates'/>`))).toBe(
      false,
    );
    expect(isImportant(msg(`<received xmlns='urn:xmpp:receipts' id='x'/>`))).toBe(false);
  });
});

describe('publishIq', () => {
  const reg = {
    jid: 'push.example.org',
    node: 'n1',
    options: { secret: ['s'] },
    enabledBy: 'a@example.org/p',
    createdAt: 0,
  };

  it('is a pubsub publish of a notification with the summary form and the publish options', () => {
    const iq = publishIq('push-1', 'a@example.org', reg, {
      count: 2,
      sender: 'b@example.org',
      body: 'hi',
    });
    expect(iq.attr('type')).toBe('set');
    expect(iq.attr('from')).toBe('a@example.org');
    expect(iq.attr('to')).toBe('push.example.org');
    const pubsub = iq.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!;
    const publish = pubsub.getChild('publish')!;
    expect(publish.attr('node')).toBe('n1');
    const x = publish
      .getChild('item')!
      .getChild('notification', 'urn:xmpp:push:0')!
      .getChild('x', 'jabber:x:data')!;
    const form = readForm(x)!;
    expect(form.formType).toBe('urn:xmpp:push:summary');
    expect(Object.fromEntries(form.fields)).toEqual({
      'message-count': ['2'],
      'last-message-sender': ['b@example.org'],
      'last-message-body': ['hi'],
    });
    const options = readForm(pubsub.getChild('publish-options')!.getChild('x', 'jabber:x:data')!)!;
    expect(options.formType).toBe('http://jabber.org/protocol/pubsub#publish-options');
    expect(Object.fromEntries(options.fields)).toEqual({ secret: ['s'] });
  });

  it('leaves out what the summary does not have, the options when there are none, and cuts long bodies', () => {
    const iq = publishIq(
      'push-2',
      'a@example.org',
      { ...reg, node: '', options: {} },
      { count: 1, body: 'x'.repeat(1000) },
    );
    const pubsub = iq.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!;
    expect(pubsub.getChild('publish')!.attr('node')).toBeUndefined();
    expect(pubsub.getChild('publish-options')).toBeUndefined();
    const form = readForm(
      pubsub
        .getChild('publish')!
        .getChild('item')!
        .getChild('notification', 'urn:xmpp:push:0')!
        .getChild('x', 'jabber:x:data')!,
    )!;
    expect(form.fields.has('last-message-sender')).toBe(false);
    expect(form.fields.get('last-message-body')![0]).toHaveLength(MAX_BODY_CHARS);
  });
});
