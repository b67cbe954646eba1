import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

/** Folders under the output root that the generator never owns (installed, rendered or built: `npm run build` writes dist/). */
const IGNORED_DIRS = new Set(["node_modules", "render", ".cache", "dist"]);

/** Lists every file under `dir` (relative, `/`-separated, sorted), skipping ignored folders. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!IGNORED_DIRS.has(e.name)) walk(join(d, e.name));
      } else {
        out.push(relative(dir, join(d, e.name)).split("\\").join("/"));
      }
    }
  };
  walk(dir);
  return out.sort();
}
