import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // No test may pass only on an idle machine: starting PGlite or a bundle on two busy cores can
    // take far longer than vitest's 5 s default, so a test fails on what it asserts, not on time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
