import { describe, expect, it } from 'vitest';
import type { Envelope, StanzaKind } from '@parley/routing';
import { CsiQueue } from './csi.js';

function env(
  kind: StanzaKind,
  id: string,
  attrs: { type?: string; from?: string } = {},
  inner = '',
): Envelope {
  const type = attrs.type ?? '';
  const from = attrs.from ?? 'a@example.org/x';
  const t = type === '' ? '' : ` type="${type}"`;
  return {
    stage: 'in',
    kind,
    type,
    id,
    from,
    to: 'me@example.org/r',
    xml: `<${kind} from="${from}" to="me@example.org/r" id="${id}"${t}>${inner}</${kind}>`,
  };
}

const gauge = () => {
  const g = { value: 0, inc: (n = 1) => void (g.value += n), dec: (n = 1) => void (g.value -= n) };
  return g;
};

describe('CsiQueue', () => {
  it('holds presence and chat-state-only messages, nothing else', () => {
    const q = new CsiQueue(100, gauge());
    const held = (e: Envelope) => q.hold(e);
    expect(held(env('presence', 'p'))).toBe(true);
    expect(held(env('presence', 'u', { type: 'unavailable', from: 'b@example.org/y' }))).toBe(true);
    expect(
      held(
        env(
          'message',
          'c',
          {},
          "<paused xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread>",
        ),
      ),
    ).toBe(true);
    expect(
      held(
        env(
          'message',
          'cs',
          {},
          "<active xmlns='http://jabber.org/protocol/chatstates'/><no-store xmlns='urn:xmpp:hints'/>",
        ),
      ),
    ).toBe(true);

    expect(held(env('presence', 's', { type: 'subscribe' }))).toBe(false);
    expect(held(env('presence', 'e', { type: 'error' }))).toBe(false);
    expect(
      held(
        env(
          'message',
          'b',
          {},
          "<body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>",
        ),
      ),
    ).toBe(false);
    expect(held(env('message', 'n', {}, ''))).toBe(false);
    expect(
      held(
        env(
          'message',
          'x',
          {},
          "<active xmlns='http://jabber.org/protocol/chatstates'/><encrypted xmlns='eu.siacs.conversations.axolotl'/>",
        ),
      ),
    ).toBe(false);
    expect(
      held(
        env(
          'message',
          'er',
          { type: 'error' },
          "<active xmlns='http://jabber.org/protocol/chatstates'/>",
        ),
      ),
    ).toBe(false);
    expect(held(env('iq', 'i', { type: 'get' }, "<ping xmlns='urn:xmpp:ping'/>"))).toBe(false);
    // A MUC occupant's own presence (status 110) matters to the client.
    expect(
      held(
        env(
          'presence',
          'self',
          { from: 'room@muc.example.org/me' },
          "<x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x>",
        ),
      ),
    ).toBe(false);
  });

  it('keeps only the latest presence per sender, in arrival order, and counts in the gauge', () => {
    const g = gauge();
    const q = new CsiQueue(100, g);
    q.hold(env('presence', 'a1', { from: 'a@x/1' }));
    q.hold(env('presence', 'b1', { from: 'b@x/1' }));
    q.hold(
      env(
        'message',
        'c1',
        { from: 'a@x/1' },
        "<composing xmlns='http://jabber.org/protocol/chatstates'/>",
      ),
    );
    q.hold(env('presence', 'a2', { from: 'a@x/1' }));
    expect(q.size).toBe(3);
    expect(g.value).toBe(3);
    expect(q.drain().map((e) => e.id)).toEqual(['b1', 'c1', 'a2']);
    expect(q.size).toBe(0);
    expect(g.value).toBe(0);
    expect(q.drain()).toEqual([]);
  });

  it('reports full at maxQueued', () => {
    const q = new CsiQueue(2, gauge());
    q.hold(env('presence', 'a', { from: 'a@x/1' }));
    expect(q.full).toBe(false);
    q.hold(env('presence', 'b', { from: 'b@x/1' }));
    expect(q.full).toBe(true);
  });

  it('reports full at maxQueuedBytes of held stanzas (replaced presence no longer counts)', () => {
    const big = (id: string, from: string) =>
      env('presence', id, { from }, `<status>${'s'.repeat(1000)}</status>`);
    const q = new CsiQueue(100, gauge(), 3000);
    q.hold(big('a1', 'a@x/1'));
    q.hold(big('b1', 'b@x/1'));
    expect(q.full).toBe(false);
    // The same senders again: still two stanzas held.
    q.hold(big('a2', 'a@x/1'));
    q.hold(big('b2', 'b@x/1'));
    expect(q.heldBytes).toBeLessThan(3000);
    expect(q.full).toBe(false);
    q.hold(big('c1', 'c@x/1'));
    expect(q.full).toBe(true);
    expect(q.drain().map((e) => e.id)).toEqual(['a2', 'b2', 'c1']);
    expect(q.heldBytes).toBe(0);
  });

  it('does not grow with a flood of presence updates from one sender', () => {
    const q = new CsiQueue(100, gauge());
    for (let i = 0; i < 10_000; i++) q.hold(env('presence', `p${i}`, { from: 'a@x/1' }));
    expect(q.size).toBe(1);
    // White box: the replaced entries were compacted away, not kept until the flush.
    expect((q as unknown as { items: unknown[] }).items.length).toBeLessThan(20);
    expect(q.drain().map((e) => e.id)).toEqual(['p9999']);
  });
});
