import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * Inside this repository the workspace packages (`@v2c/*`) resolve to their TypeScript sources:
 * the `v2c-source` target of their `exports` (published packages resolve `types`/`import` to
 * dist/). Done by this resolver for `@v2c/*` ids only — changing vite's resolve conditions
 * globally picks other builds of third-party packages (the AWS SDK). Child processes (tsx, node)
 * get the condition through NODE_OPTIONS.
 */
const SOURCE_CONDITION = "v2c-source";

function workspaceSources(): Plugin {
  return {
    name: "v2c-workspace-sources",
    enforce: "pre",
    resolveId(id) {
      const m = /^(@v2c\/[^/]+)(\/.*)?$/.exec(id);
      if (!m) return null;
      let manifest: { exports?: Record<string, unknown> };
      let dir = join(ROOT, "node_modules", m[1]!);
      try {
        dir = realpathSync(dir);
        manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        return null;
      }
      const subpath = `.${m[2] ?? ""}`;
      const exports = manifest.exports ?? {};
      let entry = exports[subpath] as Record<string, string> | string | undefined;
      let star: string | undefined;
      if (entry === undefined) {
        const wildcard = exports["./*"] as Record<string, string> | undefined;
        if (wildcard && m[2]) {
          entry = wildcard;
          star = m[2].slice(1);
        }
      }
      const target = typeof entry === "object" ? entry[SOURCE_CONDITION] : undefined;
      if (!target) return null;
      return join(dir, star === undefined ? target : target.replace("*", star));
    },
  };
}

/** One test command for the whole repository (the README's `npm test`). */
export default defineConfig({
  plugins: [workspaceSources()],
  test: {
    include: ["test/**/*.test.ts", "runtime/test/**/*.test.ts", "generated/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/cases/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { SCARF_ANALYTICS: "false", NODE_OPTIONS: `--conditions=${SOURCE_CONDITION}` },
  },
});
