// The proof of scripts/test-k8s.sh (slow: Docker, the image, a whole
// cluster); the repository's own vitest run does not include it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 420_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
