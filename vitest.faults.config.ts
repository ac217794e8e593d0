import { defineConfig } from 'vitest/config';

/**
 * The long fault checks (`npm run test:faults`): real processes killed, partners failing, several
 * processes on one database. One file at a time, so each has the machine's cores to itself.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.faults.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
