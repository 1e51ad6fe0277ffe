import { describe, expect, it } from 'vitest';
import { MemoryBus, isValidSubject, subjectMatches } from '@parley/bus';
import { s2sPartitionPattern, s2sSubject } from './federation.js';
import {
  UnreachableDomainError,
  inboundRoutes,
  inboundSubject,
  publishInbound,
} from './inbound.js';
import { mucPartitionPattern, mucSubject } from './muc.js';
import { DURABLE_SUBJECTS, routeSubject } from './subjects.js';
import { BUS_PROTOCOL_VERSION } from './protocol.js';

const config = (enabled = true, federation = false) => ({
  server: { domains: ['example.org', 'other.net'] },
  routing: { partitions: 64 },
  muc: { enabled, subdomain: 'conference', partitions: 16 },
  pubsub: { enabled: true, subdomain: 'pubsub' },
  upload: { enabled, subdomain: 'upload' },
  s2s: { enabled: federation, partitions: 8 },
  components: { list: [{ domain: 'bot.example.org' }] },
});

describe('inbound routing: MUC, registry and S2S subjects', () => {
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
    expect(inboundSubject('pubsub.other.net', 'pubsub.other.net', routes)).toBe(
      routeSubject('pubsub.other.net', 64),
    );
  });

  it('hosts upload.<domain> at the registry partitions when upload is enabled', () => {
    const routes = inboundRoutes(config());
    expect(inboundSubject('upload.example.org', 'upload.example.org', routes)).toBe(
      routeSubject('upload.example.org', 64),
    );
    const off = inboundRoutes(config(false));
    expect(off.hosted.has('upload.example.org')).toBe(false);
    expect(inboundSubject('upload.example.org', 'upload.example.org', off)).toBeUndefined();
  });

  it('sends stanzas for components, and for remote domains when federating, to the S2S partitions', () => {
    const routes = inboundRoutes(config(true, false));
    const bot = inboundSubject('bot.example.org', 'bot.example.org', routes);
    expect(bot).toBe(s2sSubject('bot.example.org', 8));
    expect(subjectMatches(s2sPartitionPattern(Number(bot!.split('.')[2])), bot!)).toBe(true);
    expect(DURABLE_SUBJECTS.some((d) => subjectMatches(d, bot!))).toBe(true);
    // Without federation, a remote domain cannot be reached.
    expect(inboundSubject('juliet@capulet.lit', 'capulet.lit', routes)).toBeUndefined();
    const fed = inboundRoutes(config(true, true));
    expect(inboundSubject('juliet@capulet.lit', 'capulet.lit', fed)).toBe(
      s2sSubject('capulet.lit', 8),
    );
    // Every user of one remote domain shares its partition (one connection per domain).
    expect(inboundSubject('romeo@capulet.lit', 'capulet.lit', fed)).toBe(
      s2sSubject('capulet.lit', 8),
    );
    expect(inboundSubject('alice@example.org', 'example.org', fed)).toBe(
      routeSubject('alice@example.org', 64),
    );
  });

  it('rejects a publish to a domain it cannot reach', async () => {
    const bus = new MemoryBus();
    const env = {
      stage: 'in' as const,
      kind: 'message' as const,
      type: 'chat',
      from: 'a@example.org/r',
      to: 'juliet@capulet.lit',
      xml: '<message/>',
    };
    await expect(
      publishInbound(bus, env, 'juliet@capulet.lit', 'capulet.lit', inboundRoutes(config())),
    ).rejects.toBeInstanceOf(UnreachableDomainError);
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
    expect(got).toEqual([{ v: BUS_PROTOCOL_VERSION, t: 'stanza', env: { ...env, stage: 'in' } }]);
  });
});
