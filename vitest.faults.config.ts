import { defineConfig } from 'vitest/config';

if (!process.env.RECLAIM_TEST_POSTGRES_URL)
  console.warn('PostgreSQL fault checks SKIPPED: RECLAIM_TEST_POSTGRES_URL is not set');

/**
 * The long fault checks (`npm run test:faults`): real processes killed, partners failing, several
 * processes on one database. One file at a time, so each has the machine's cores to itself.
 * `npm run test:faults` then runs the hostile-input suite at 20,000 requests per endpoint (100,000 in
 * all) and the CLI's process tests (signals through `npm start`).
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
