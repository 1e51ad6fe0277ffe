import { configDefaults, defineConfig } from 'vitest/config';
import { DRILL_FILES } from './vitest.drills.config.js';

/** The main suite (`bash scripts/test.sh`): everything but the failure drills. */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: [
      'libs/*/{src,test}/**/*.test.ts',
      'services/*/{src,test}/**/*.test.ts',
      'loadtest/{src,test}/**/*.test.ts',
    ],
    exclude: [...configDefaults.exclude, ...DRILL_FILES],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
