import { describe, expect, it } from 'vitest';
import { PEP_FEATURES, SERVICE_FEATURES } from '../src/index.js';

describe('advertised features', () => {
  it('lists each profile sorted, each feature once', () => {
    for (const list of [PEP_FEATURES, SERVICE_FEATURES]) {
      expect([...list].sort()).toEqual(list);
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it('gives PEP the access models and implicit subscriptions of XEP-0163, the service its own', () => {
    expect(PEP_FEATURES).toEqual(
      expect.arrayContaining(['access-presence', 'auto-subscribe', 'filtered-notifications']),
    );
    expect(SERVICE_FEATURES).not.toContain('access-presence');
    expect(SERVICE_FEATURES).toContain('subscription-notifications');
    expect(PEP_FEATURES).not.toContain('subscription-notifications');
  });

  it('shares the rest', () => {
    const shared = SERVICE_FEATURES.filter((f) => f !== 'subscription-notifications');
    expect(PEP_FEATURES).toEqual(expect.arrayContaining(shared));
  });
});
