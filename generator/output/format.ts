import * as prettier from "prettier";
import type { GeneratedFile } from "../emit/types.js";

const FORMATTED = /\.(ts|json|md|ya?ml)$/;

/**
 * Formats generated files in memory with the repository's prettier configuration, so that
 * `generate` and `--check` compare exactly the bytes that would be written.
 */
export async function formatFiles(files: readonly GeneratedFile[], configFrom: string): Promise<GeneratedFile[]> {
  const config = (await prettier.resolveConfig(configFrom)) ?? {};
  return Promise.all(
    files.map(async (f) => {
      if (!FORMATTED.test(f.path)) return f;
      try {
        return { path: f.path, content: await prettier.format(f.content, { ...config, filepath: f.path }) };
      } catch (e) {
        throw new Error(`generated ${f.path} does not format (an emitter bug): ${(e as Error).message}`);
      }
    }),
  );
}
