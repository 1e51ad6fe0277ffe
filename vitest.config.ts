import { configDefaults, defineConfig } from 'vitest/config';
import { DRILL_FILES } from './vitest.drills.config.js';
import { E2E_FILES } from './vitest.e2e.config.js';

/**
 * The main suite (`bash scripts/test.sh`): everything but the failure drills
 * and the multi-process end-to-end runs (scripts/test-drills.sh, scripts/test-e2e.sh).
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: [
      'libs/*/{src,test}/**/*.test.ts',
      'services/*/{src,test}/**/*.test.ts',
      'loadtest/{src,test}/**/*.test.ts',
    ],
    exclude: [...configDefaults.exclude, ...DRILL_FILES, ...E2E_FILES],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
