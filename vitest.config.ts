import { defineConfig } from "vitest/config";

/** One test command for the whole repository (the README's `npm test`). */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts", "generated/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/cases/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { SCARF_ANALYTICS: "false" },
  },
});
