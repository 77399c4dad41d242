import { defineConfig } from 'vitest/config';

/**
 * `npm run test:soak`: the soak alone, at 10,000 requests (`SOAK_REQUESTS`), with room for it to run.
 * The regular suite runs the same file at 1,000 requests within the default 30 s test timeout.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/soak.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { SOAK_REQUESTS: process.env.SOAK_REQUESTS ?? '10000' },
  },
});
