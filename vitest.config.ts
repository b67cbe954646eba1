import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { SOURCE_CONDITION, workspaceSources } from "./test/support/workspace-sources.js";

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * One test command for the whole repository (the README's `npm test`). Workspace packages
 * (`@v2c/*`) resolve to their TypeScript sources (the `v2c-source` target of their `exports`),
 * looked up from each importer's folder upwards, so generated copies elsewhere use their own
 * packages (see test/support/workspace-sources.ts). Child processes (tsx, node) get the condition
 * through NODE_OPTIONS.
 */
export default defineConfig({
  plugins: [workspaceSources(ROOT)],
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts", "generated/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/cases/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { SCARF_ANALYTICS: "false", NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` },
  },
});
