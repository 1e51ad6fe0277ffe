/**
 * The MUC side of the versioned bus protocol (@parley/routing protocol.ts):
 * stanzas of the previous version (no `v`, what the harness sends) are
 * handled; a message of an unknown type or of an unsupported version is
 * counted and logged, and the partition goes on with the next message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_PROTOCOL_VERSION, envelopeOf, envelopeSchema, mucSubject } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import { createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import { xml } from '@parley/xml';
import { MucHarness, SERVICE } from './testing/harness.js';

const ROOM = `talk@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';

describe('versioned messages on the MUC partitions', () => {
  let h: MucHarness;
  let metrics: Metrics;
  const logs: string[] = [];
  beforeEach(async () => {
    metrics = createMetrics({ collectDefault: false });
    logs.length = 0;
    h = await MucHarness.start({ metrics, logs });
    await h.createInstant(ROOM, 'alice', A);
  });
  afterEach(() => h.close());

  const rejected = (reason: string, type: string) =>
    metrics.value('parley_bus_messages_rejected_total', { family: 'muc', reason, type });
  const joinOf = (from: string, nick: string): Envelope => {
    const env = envelopeOf(
      xml(
        'presence',
        { from, to: `${ROOM}/${nick}`, id: nick },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
      'in',
    );
    expect(envelopeSchema(env)).toBeUndefined();
    return env;
  };

  it('handles a stanza of the previous version and sends with the current one', async () => {
    const sent: Array<{ v?: number }> = [];
    h.bus.subscribe('xmpp.r.>', (m) => void sent.push(m.data as { v?: number }));
    h.mark();
    await h.send(
      xml('message', { from: A, to: ROOM, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hi')),
    );
    expect(h.to(A, (el) => el.attr('id') === 'g1')).toHaveLength(1);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((m) => m.v === BUS_PROTOCOL_VERSION)).toBe(true);
  });

  it('counts and logs an unknown type and an unsupported version, and handles the next message', async () => {
    const subject = mucSubject(ROOM, h.config.muc.partitions);
    const before = {
      type: await rejected('unknown-type', 'occupy'),
      version: await rejected('unsupported-version', 'stanza'),
    };
    h.mark();
    await h.bus.publishDurable(subject, {
      v: BUS_PROTOCOL_VERSION,
      t: 'occupy',
      env: joinOf(B, 'ghost'),
    });
    await h.bus.publishDurable(subject, { v: 99, t: 'stanza', env: joinOf(B, 'future') });
    // The marker: a join of the current version, handled after both.
    await h.bus.publishDurable(subject, {
      v: BUS_PROTOCOL_VERSION,
      t: 'stanza',
      env: joinOf(B, 'bob'),
    });
    await h.settle();
    const selfPresence = h.to(B, (el) => el.name === 'presence').map((el) => el.attr('from'));
    expect(selfPresence).toContain(`${ROOM}/bob`);
    expect(selfPresence).not.toContain(`${ROOM}/ghost`);
    expect(selfPresence).not.toContain(`${ROOM}/future`);
    expect(await rejected('unknown-type', 'occupy')).toBe(before.type + 1);
    expect(await rejected('unsupported-version', 'stanza')).toBe(before.version + 1);
    expect(logs.filter((l) => l.includes('bus message not understood'))).toHaveLength(2);
    expect(logs.some((l) => l.includes(subject))).toBe(true);
  });
});
