import { describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import type { BusMessage } from '@parley/bus';
import { BusProtocol, undeliveredStanza } from './bus-protocol.js';
import type { ProtocolMetrics } from './bus-protocol.js';
import { GATEWAY_MESSAGES, MUC_MESSAGES, REGISTRY_MESSAGES } from './catalogue.js';
import type { Envelope } from './envelope.js';
import {
  BUS_PROTOCOL_MAX_VERSION,
  BUS_PROTOCOL_MIN_VERSION,
  BUS_PROTOCOL_VERSION,
  decodeBusMessage,
  stamp,
  versionedBus,
} from './protocol.js';

const env: Envelope = {
  stage: 'in',
  kind: 'message',
  type: 'chat',
  from: 'a@example.org/r',
  to: 'b@example.org',
  xml: '<message/>',
};

describe('bus protocol versions', () => {
  it('writes the current version and reads the previous one', () => {
    expect(BUS_PROTOCOL_VERSION).toBe(2);
    expect(BUS_PROTOCOL_MIN_VERSION).toBe(BUS_PROTOCOL_VERSION - 1);
    expect(BUS_PROTOCOL_MAX_VERSION).toBeGreaterThanOrEqual(BUS_PROTOCOL_VERSION);
  });

  it('stamps a copy of a message object, leaving the original alone', () => {
    const m = { t: 'stanza', env };
    const s = stamp(m);
    expect(s).toEqual({ v: BUS_PROTOCOL_VERSION, t: 'stanza', env });
    expect(Object.keys(s)[0]).toBe('v');
    expect(m).not.toHaveProperty('v');
    expect(stamp({ v: 1, t: 'unbind' })).toEqual({ v: BUS_PROTOCOL_VERSION, t: 'unbind' });
    expect(stamp('text')).toBe('text');
    expect(stamp([1])).toEqual([1]);
  });

  it('decodes a message without a version as version 1 (the release before versioning)', () => {
    const d = decodeBusMessage(REGISTRY_MESSAGES, { t: 'stanza', env });
    expect(d).toEqual({ ok: true, msg: { t: 'stanza', env }, v: 1 });
    expect(decodeBusMessage(REGISTRY_MESSAGES, stamp({ t: 'stanza', env }))).toMatchObject({
      ok: true,
      v: BUS_PROTOCOL_VERSION,
    });
  });

  it('rejects unknown types, unsupported versions and invalid messages, saying why', () => {
    expect(decodeBusMessage(REGISTRY_MESSAGES, { v: 2, t: 'teleport', jid: 'x' })).toMatchObject({
      ok: false,
      reason: 'unknown-type',
      type: 'teleport',
      v: 2,
    });
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, { v: BUS_PROTOCOL_MAX_VERSION + 1, t: 'stanza', env }),
    ).toMatchObject({ ok: false, reason: 'unsupported-version', type: 'stanza' });
    expect(decodeBusMessage(REGISTRY_MESSAGES, { v: 0, t: 'stanza', env })).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, { t: 'stanza', env: { ...env, stage: 'sideways' } }),
    ).toMatchObject({
      ok: false,
      reason: 'invalid',
      detail: 'env: stage: expected one of out, in',
    });
    expect(decodeBusMessage(GATEWAY_MESSAGES, { t: 'deliver', env })).toMatchObject({
      ok: false,
      reason: 'invalid',
      detail: 'conn: missing',
    });
    expect(decodeBusMessage(MUC_MESSAGES, null)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(decodeBusMessage(MUC_MESSAGES, { t: 'toString', env })).toMatchObject({
      reason: 'unknown-type',
    });
    // Optional fields are checked when present; unknown extra fields are allowed (additive changes).
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, { t: 'bind', jid: 'a@b', gw: 'g', conn: 'c', extra: 1 }),
    ).toMatchObject({ ok: true });
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, {
        t: 'bind',
        jid: 'a@b',
        gw: 'g',
        conn: 'c',
        takeover: 1,
      }),
    ).toMatchObject({ ok: false, detail: 'takeover: expected a string' });
  });

  it('checks session-sync (re-registration) batches entry by entry', () => {
    const one = { jid: 'a@b/r', conn: 'c1', available: true, priority: 5, resumable: true };
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, { v: 2, t: 'session-sync', gw: 'g', sessions: [one] }),
    ).toMatchObject({ ok: true });
    expect(
      decodeBusMessage(REGISTRY_MESSAGES, {
        v: 2,
        t: 'session-sync',
        gw: 'g',
        sessions: [one, { jid: 'a@b/s', conn: 'c2', priority: 'high' }],
      }),
    ).toMatchObject({
      ok: false,
      reason: 'invalid',
      detail: 'sessions: [1]: priority: expected a number',
    });
  });

  it('sends every message through a versioned bus with the version, requests included', async () => {
    const raw = new MemoryBus();
    const bus = versionedBus(raw);
    expect(versionedBus(bus)).toBe(bus);
    const seen: unknown[] = [];
    raw.subscribe('s.>', (m) => {
      seen.push(m.data);
      m.respond?.('pong');
    });
    bus.publish('s.a', { t: 'unbind' });
    await bus.publishDurable('s.b', { t: 'unbind' });
    expect(await bus.request('s.c', { t: 'bind' })).toBe('pong');
    await raw.flush();
    expect(seen).toEqual([
      { v: BUS_PROTOCOL_VERSION, t: 'unbind' },
      { v: BUS_PROTOCOL_VERSION, t: 'unbind' },
      { v: BUS_PROTOCOL_VERSION, t: 'bind' },
    ]);
  });
});

describe('BusProtocol: what a consumer does not understand', () => {
  const setup = () => {
    let clock = 0;
    const logs: Array<Record<string, unknown>> = [];
    // The shape of @parley/telemetry's Metrics (a dependency this library does not take).
    const series: Array<{ name: string; labels: Record<string, string | number>; value: number }> =
      [];
    const metrics: ProtocolMetrics = {
      counter: (name) => ({
        inc: (labels, value = 1) => {
          const key = JSON.stringify(labels);
          const s = series.find((x) => x.name === name && JSON.stringify(x.labels) === key);
          if (s) s.value += value;
          else series.push({ name, labels: labels as Record<string, string>, value });
        },
      }),
    };
    const protocol = new BusProtocol({
      metrics,
      logger: { warn: (_msg, fields) => void logs.push({ ...fields }) },
      now: () => clock,
    });
    const rejected = (labels: Record<string, string>) =>
      series
        .filter(
          (s) =>
            s.name === 'bus_messages_rejected_total' &&
            Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )
        .reduce((n, s) => n + s.value, 0);
    return { protocol, logs, rejected, tick: (ms: number) => (clock += ms) };
  };
  const message = (data: unknown, respond?: (d: unknown) => void): BusMessage =>
    respond === undefined
      ? { subject: 'xmpp.r.1.x', data }
      : { subject: 'xmpp.r.1.x', data, respond };

  it('counts every rejection and logs one line a minute per reason and type', async () => {
    const { protocol, logs, rejected, tick } = setup();
    for (let i = 0; i < 3; i++)
      expect(protocol.decode(REGISTRY_MESSAGES, message({ v: 2, t: 'teleport' }))).toBeUndefined();
    expect(protocol.decode(REGISTRY_MESSAGES, message({ v: 9, t: 'stanza', env }))).toBeUndefined();
    expect(rejected({ family: 'registry', reason: 'unknown-type', type: 'teleport' })).toBe(3);
    expect(rejected({ family: 'registry', reason: 'unsupported-version', type: 'stanza' })).toBe(1);
    expect(logs).toEqual([
      expect.objectContaining({
        family: 'registry',
        reason: 'unknown-type',
        type: 'teleport',
        version: 2,
        subject: 'xmpp.r.1.x',
      }),
      expect.objectContaining({ reason: 'unsupported-version', type: 'stanza', version: 9 }),
    ]);
    tick(60_000);
    protocol.decode(REGISTRY_MESSAGES, message({ v: 2, t: 'teleport' }));
    expect(logs[2]).toMatchObject({ type: 'teleport', notLoggedSince: 2 });
  });

  it('keeps the type label bounded', async () => {
    const { protocol, rejected } = setup();
    protocol.decode(REGISTRY_MESSAGES, message({ t: 'Ünïcode.*>' }));
    protocol.decode(REGISTRY_MESSAGES, message({ env }));
    expect(rejected({ reason: 'unknown-type', type: 'other' })).toBe(1);
    expect(rejected({ reason: 'invalid', type: 'none' })).toBe(1);
  });

  it('answers a request it does not understand, so the requester fails at once', () => {
    const { protocol } = setup();
    const replies: unknown[] = [];
    const respond = (d: unknown) => void replies.push(d);
    protocol.decode(REGISTRY_MESSAGES, message({ v: 2, t: 'bind-v3', jid: 'a@b' }, respond));
    protocol.decode(REGISTRY_MESSAGES, message({ v: 2, t: 'bind', jid: 7 }, respond));
    expect(replies).toEqual([
      expect.objectContaining({ v: 2, ok: false, condition: 'feature-not-implemented' }),
      expect.objectContaining({ v: 2, ok: false, condition: 'bad-request' }),
    ]);
  });

  it('finds the stanza of a delivery it cannot accept, for a bounce', () => {
    expect(
      undeliveredStanza({ v: 9, t: 'deliver', conn: 'c1', env, jid: 'b@example.org/r' }),
    ).toEqual({ env, conn: 'c1', jid: 'b@example.org/r' });
    expect(undeliveredStanza({ v: 9, t: 'deliver', env })).toEqual({ env });
    expect(undeliveredStanza({ v: 9, t: 'teleport', conn: 'c1', env })).toBeUndefined();
    expect(undeliveredStanza({ v: 9, t: 'deliver', conn: 'c1', env: { xml: 1 } })).toBeUndefined();
  });
});
