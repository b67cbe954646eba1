import { defineConfig } from "vitest/config";

/**
 * Inside this repository the workspace packages resolve to their TypeScript sources through the
 * custom `v2c-source` export condition (published packages resolve `types`/`import` to dist/).
 * Child processes (tsx, node) get it through NODE_OPTIONS.
 */
const SOURCE_CONDITION = "v2c-source";
/** Node's own conditions (not vite's `module`: it would load bundler-only builds such as @aws-sdk's dist-es). */
const CONDITIONS = [SOURCE_CONDITION, "node", "development|production"];

/** One test command for the whole repository (the README's `npm test`). */
export default defineConfig({
  resolve: { conditions: CONDITIONS },
  ssr: { resolve: { conditions: CONDITIONS } },
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts", "generated/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/cases/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { SCARF_ANALYTICS: "false", NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` },
  },
});
