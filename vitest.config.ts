import { defineConfig } from 'vitest/config';

// Unit + integration tests run on the project's pinned Node 24 with the real native libraries
// (onnxruntime-node, sharp, better-sqlite3); E2E tests drive the built renderer in Debian's Chromium.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // Two files at a time even on a 2-core machine (vitest's default there is one): most integration
      // files wait on their own servers, child processes and timers, and each uses its own temp dirs and
      // random loopback ports, so two overlap their waits instead of queueing behind each other.
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'], maxWorkers: 2 } },
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 },
      },
    ],
  },
});
