import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run test files one or two at a time so worker-thread stress tests do not starve each other.
    maxWorkers: 2,
    fileParallelism: true,
    // Engines started by tests (and their children) take an ephemeral dashboard port, never the fixed
    // default 8787: several run at once. Helpers that pass their own env set it too.
    env: { ALPHATRADER_DASHBOARD_PORT: '0' },
  },
});
