import { defineConfig } from 'vitest/config';

/**
 * The slow multi-process end-to-end runs (`bash scripts/test-e2e.sh`): the
 * local cluster (gateway, registry, MUC and S2S processes over NATS and
 * Redis) and restarts of the server processes. Kept out of the main suite
 * so that it stays under 15 minutes on 2 cores; CI runs both.
 */
export const E2E_FILES = [
  'services/server/test/cluster-e2e.test.ts',
  'services/server/test/cluster-conformance.test.ts',
  'services/server/test/cluster-federation.test.ts',
  'services/server/test/cluster-fast.test.ts',
  'services/server/test/cluster-resumption.test.ts',
  'services/server/test/cluster-security.test.ts',
  'services/server/test/admin-api-cluster.test.ts',
  'services/server/test/xep0045-cluster.test.ts',
  'services/server/test/xep0357-push-cluster.test.ts',
  'services/server/test/restart.test.ts',
  'services/server/test/xep0045-restart.test.ts',
];

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: E2E_FILES,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
