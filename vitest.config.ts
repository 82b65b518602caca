import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // a warden created without a store option keeps it in memory under test (no ./warden.db left behind)
    env: { WARDEN_STORE: 'memory' },
  },
});
