import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Unit files that start ./deploy.ts may wait for its bundle to be rebuilt on a loaded two-core machine: the
        // timeout is a hang guard, not a speed limit (speed is npm run bench's job).
        // One worker per core (vitest's default leaves one core out, so two cores ran every file in one worker), and
        // one module graph per worker: the files keep no state in modules, and a fresh process and import per file
        // cost as much as their tests.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000, maxWorkers: '100%', isolate: false },
      },
      {
        // Sandbox tests share four real nodes: run their files one after another.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
