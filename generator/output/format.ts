import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StepCache } from "../cache.js";
import type { GeneratedFile } from "../emit/types.js";
import { packageVersion } from "../package-version.js";

const FORMATTED = /\.(ts|json|md|ya?ml)$/;

/**
 * Formats generated files in memory with the repository's prettier configuration, so that
 * `generate` and `--check` compare exactly the bytes that would be written. Results are cached
 * by content hash (prettier takes most of a warm run's time to load); prettier is only imported
 * when a file misses the cache.
 */
export async function formatFiles(
  files: readonly GeneratedFile[],
  toolRoot: string,
  cache: StepCache = new StepCache(undefined),
): Promise<GeneratedFile[]> {
  let prettier: typeof import("prettier") | undefined;
  let config: object = {};
  const version = packageVersion("prettier");
  const load = async () => {
    if (prettier) return prettier;
    prettier = await import("prettier");
    config = (await prettier.resolveConfig(join(toolRoot, "package.json"))) ?? {};
    return prettier;
  };
  const configKey = readConfigText(toolRoot);
  return Promise.all(
    files.map(async (f) => {
      if (!FORMATTED.test(f.path)) return f;
      const key = StepCache.key("prettier", version, configKey, f.path, f.content);
      const hit = cache.get<string>("format", key);
      if (hit !== undefined) return { ...f, content: hit };
      const p = await load();
      let content: string;
      try {
        content = await p.format(f.content, { ...config, filepath: f.path });
      } catch (e) {
        throw new Error(
          `generated ${f.path} does not format (an emitter bug): ${(e as Error).message}`,
        );
      }
      cache.set("format", key, content);
      return { ...f, content };
    }),
  );
}

/** The prettier configuration's text (the toolchain's `.prettierrc.json`), part of the cache key. */
function readConfigText(toolRoot: string): string {
  try {
    return readFileSync(join(toolRoot, ".prettierrc.json"), "utf8");
  } catch {
    return "";
  }
}
