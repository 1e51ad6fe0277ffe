// The failure drills (`bash scripts/test-drills.sh`): processes killed and
// restarted under traffic. Slow, so kept out of the main suite; CI runs both.
import { defineConfig } from 'vitest/config';

export const DRILL_FILES = [
  'services/server/test/cluster-failover.test.ts',
  'services/server/test/cluster-drills.test.ts',
  'libs/bus/test/nats-direct-faults.test.ts',
  'libs/bus/test/nats-direct-causal.test.ts',
];

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: DRILL_FILES,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
