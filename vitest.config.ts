import { defineConfig } from 'vitest/config';

// Unit + integration tests run on the project's pinned Node 24 with the real native libraries
// (onnxruntime-node, sharp, better-sqlite3); E2E tests drive the built renderer in Debian's Chromium.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 },
      },
    ],
  },
});
