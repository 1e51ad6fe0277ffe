import { describe, expect, it } from 'vitest';
import { MemoryBus, isValidSubject, subjectMatches } from '@parley/bus';
import {
  inboundRoutes,
  inboundSubject,
  mucPartitionPattern,
  mucSubject,
  publishInbound,
} from './muc.js';
import { DURABLE_SUBJECTS, routeSubject } from './subjects.js';

const config = (enabled = true) => ({
  server: { domains: ['example.org', 'other.net'] },
  routing: { partitions: 64 },
  muc: { enabled, subdomain: 'conference', partitions: 16 },
});

describe('MUC subjects and inbound routing', () => {
  it('puts rooms and the service on durable MUC partition subjects', () => {
    for (const jid of [
      'room@conference.example.org',
      'conference.example.org',
      'a.b@conference.other.net',
    ]) {
      const s = mucSubject(jid, 16);
      expect(isValidSubject(s, false)).toBe(true);
      expect(s.startsWith('xmpp.muc.')).toBe(true);
      expect(DURABLE_SUBJECTS.some((d) => subjectMatches(d, s))).toBe(true);
      expect(subjectMatches(mucPartitionPattern(Number(s.split('.')[2])), s)).toBe(true);
    }
  });

  it('sends stanzas for MUC domains to the MUC partitions, the rest to the registry', () => {
    const routes = inboundRoutes(config());
    expect([...routes.mucDomains]).toEqual(['conference.example.org', 'conference.other.net']);
    expect(inboundSubject('r@conference.example.org', 'conference.example.org', routes)).toBe(
      mucSubject('r@conference.example.org', 16),
    );
    expect(inboundSubject('alice@example.org', 'example.org', routes)).toBe(
      routeSubject('alice@example.org', 64),
    );
    expect(inboundRoutes(config(false)).mucDomains.size).toBe(0);
  });

  it('publishes as stage in', async () => {
    const bus = new MemoryBus();
    const got: unknown[] = [];
    bus.subscribe('xmpp.muc.>', (m) => void got.push(m.data));
    const env = {
      stage: 'out' as const,
      kind: 'message' as const,
      type: 'groupchat',
      from: 'a@example.org/r',
      to: 'r@conference.example.org',
      xml: '<message/>',
    };
    await publishInbound(
      bus,
      env,
      'r@conference.example.org',
      'conference.example.org',
      inboundRoutes(config()),
    );
    await bus.flush();
    expect(got).toEqual([{ t: 'stanza', env: { ...env, stage: 'in' } }]);
  });
});
