import { defineConfig } from 'vitest/config';

/** The headless-Chromium test, on its own and serially (Debian's chromium, installed by .ci/install-chromium.sh). */
export default defineConfig({
  test: {
    include: ['test/integration/inspector.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
