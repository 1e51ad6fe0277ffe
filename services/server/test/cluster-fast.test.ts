/**
 * XEP-0484 FAST across the gateways of a local cluster (separate processes
 * over NATS and Redis, with the LMDB and the PostgreSQL store): a token
 * issued by one gateway logs in on another in one round trip; the server
 * caps reach the features of every gateway.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NS_CAPS } from '@parley/stanza';
import { xml } from '@parley/xml';
import { TestClient } from '../../gateway/test/helpers/test-client.js';
import {
  bindRequest,
  sasl2Fast,
  sasl2Scram,
  tokenOf,
} from '../../gateway/test/helpers/sasl2-client.js';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';

describe.each(['lmdb', 'postgres'] as const)('FAST across two gateways, %s store', (store) => {
  let t: TestCluster;
  beforeAll(async () => {
    t = await startTestCluster(['erin'], { gateways: 2, store });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  }, 60_000);

  async function tlsStream(port: number): Promise<TestClient> {
    const client = await TestClient.connect(port);
    await client.open();
    await client.starttls();
    await client.open();
    return client;
  }

  it('accepts on the second gateway a token issued by the first, binding in the same request', async () => {
    const first = await tlsStream(t.port(0));
    const login = await sasl2Scram(first, 'erin', 'secret', {
      agent: 'erin-phone',
      inline: [
        bindRequest('Phone'),
        xml('request-token', { xmlns: 'urn:xmpp:fast:0', mechanism: 'HT-SHA-256-NONE' }),
      ],
    });
    const jid = login.result.getChildText('authorization-identifier')!;
    expect(jid).toMatch(/^erin@localhost\/Phone\//);
    first.close();

    const second = await tlsStream(t.port(1));
    const out = await sasl2Fast(second, 'erin', tokenOf(login.result)!.token, {
      agent: 'erin-phone',
      inline: [bindRequest('Phone')],
    });
    expect(out.exchange).toEqual([]);
    // The same resource: the gateways derive it from the shared secret.
    expect(out.result.getChildText('authorization-identifier')).toBe(jid);
    second.close();
  });

  it('offers the server caps on every gateway', async () => {
    for (const i of [0, 1]) {
      await vi.waitFor(
        async () => {
          const client = await TestClient.connect(t.port(i));
          const features = await client.open();
          client.close();
          expect(features.getChild('c', NS_CAPS)?.attr('ver')).toBeTruthy();
        },
        { timeout: 15_000, interval: 250 },
      );
    }
  });
});
