import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Plugin } from "vite";

/**
 * The custom export condition under which generated packages expose their TypeScript sources
 * (published packages resolve `types`/`import` to dist/).
 */
export const SOURCE_CONDITION = "v2c-source";

/** A scoped bare import: `@scope/name` plus an optional `/subpath`. */
const SCOPED = /^(@[^/]+\/[^/]+)(\/.*)?$/;

/**
 * The nearest `node_modules/<name>` from `from` upwards (node's own lookup order), as a real
 * path, or undefined when no folder up to the filesystem root holds it.
 */
function nearestPackage(
  name: string,
  from: string,
  cache: Map<string, string | null>,
): string | undefined {
  const visited: string[] = [];
  let found: string | null = null;
  for (let dir = from; ; dir = dirname(dir)) {
    const key = `${dir}\0${name}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      found = cached;
      break;
    }
    visited.push(key);
    const pkg = join(dir, "node_modules", name);
    if (existsSync(join(pkg, "package.json"))) {
      found = realpathSync(pkg);
      break;
    }
    if (dirname(dir) === dir) break;
  }
  for (const key of visited) cache.set(key, found);
  return found ?? undefined;
}

/** The `v2c-source` target of `subpath` (`.`, `./x`) in the package at `dir`, if it declares one. */
function sourceTarget(dir: string, subpath: string | undefined): string | undefined {
  let exports: Record<string, unknown>;
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      exports?: Record<string, unknown>;
    };
    exports = manifest.exports ?? {};
  } catch {
    return undefined;
  }
  let entry = exports[`.${subpath ?? ""}`];
  let star: string | undefined;
  if (entry === undefined && subpath && exports["./*"] !== undefined) {
    entry = exports["./*"];
    star = subpath.slice(1);
  }
  const target =
    entry !== null && typeof entry === "object"
      ? (entry as Record<string, unknown>)[SOURCE_CONDITION]
      : undefined;
  if (typeof target !== "string") return undefined;
  return join(dir, star === undefined ? target : target.replace("*", star));
}

/**
 * A vite plugin resolving each scoped bare import whose package declares a `v2c-source` export
 * to that TypeScript source, looking the package up *from the importing file's folder upwards*
 * (the nearest `node_modules/<scope>/<name>`, as node does), so a generated workspace anywhere
 * (a temp output, test/cases/*\/expected, a user's repository) runs against its own packages.
 * Without an importer (entry files) the lookup starts at `fallbackRoot`. Every other import is
 * left to vite: only these ids get the condition, since changing vite's resolve conditions
 * globally picks other builds of third-party packages (the AWS SDK).
 */
export function workspaceSources(fallbackRoot: string): Plugin {
  const cache = new Map<string, string | null>();
  return {
    name: "v2c-workspace-sources",
    enforce: "pre",
    resolveId(id, importer) {
      const m = SCOPED.exec(id);
      if (!m) return null;
      const file = importer?.split("?")[0];
      const from = file && !file.startsWith("\0") ? dirname(file) : fallbackRoot;
      const dir = nearestPackage(m[1]!, from, cache);
      return dir === undefined ? null : (sourceTarget(dir, m[2]) ?? null);
    },
  };
}
