import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { StepCache } from "./cache.js";
import { rememberCachedRun, stopYamlWorker } from "./load/yaml-worker.mjs";
import type { Diagnostic } from "./diagnostics.js";
import type { GeneratedFile } from "./emit/types.js";
import type { Model } from "./model/types.js";
import type { GeneratorOptions } from "./options.js";

/** The result of one run: the files to write (empty on error) and every diagnostic. */
export interface GenerationResult {
  readonly ok: boolean;
  readonly files: GeneratedFile[];
  readonly diagnostics: Diagnostic[];
  readonly model?: Model;
}

const TOOL_ROOT = resolve(import.meta.dirname, "..");

/**
 * load -> validate -> model -> emit -> format. Pure with respect to the output folder: it
 * reads the spec sources and returns a map of files; writing and checking are the caller's.
 * On any error (or an incomplete coverage with `strict`) it returns no files at all.
 *
 * A run whose inputs are all unchanged — every spec source, every generator, template and
 * lock file, and the options — returns the cached result of the run that had them, without
 * loading the toolchain. The key hashes the full contents, so a hit is byte-for-byte what a
 * fresh run would produce; `--no-cache` (or deleting node_modules/.cache) forces a fresh run.
 */
export async function generate(options: GeneratorOptions): Promise<GenerationResult> {
  const cache = new StepCache(options.cacheDir);
  const key = options.cacheDir ? runKey(options) : undefined;
  if (key) {
    const hit = cache.get<GenerationResult>("run", key);
    if (hit) {
      stopEarlyWork();
      return hit;
    }
  }
  const { generateUncached } = await import("./pipeline-run.js");
  const result = await generateUncached(options);
  if (key) {
    cache.set("run", key, result);
    if (options.cacheDir) rememberCachedRun({ root: options.root, cacheDir: options.cacheDir });
  }
  return result;
}

/** Drops what launch.mjs started ahead for a run (load/yaml-worker.mjs, load/buf-build.mjs). */
function stopEarlyWork(): void {
  stopYamlWorker();
}

/** Hash of everything a run reads: spec sources, toolchain code and templates, lock file, options. */
function runKey(options: GeneratorOptions): string {
  const parts: string[] = [
    JSON.stringify({ strict: options.strict, out: relative(options.root, options.out) }),
  ];
  const add = (base: string, rel: string) => {
    try {
      parts.push(rel, readFileSync(join(base, rel), "utf8"));
    } catch {
      parts.push(rel, "\0missing");
    }
  };
  for (const rel of [
    "asyncapi.yaml",
    ...listFiles(options.root, "proto"),
    ...listFiles(options.root, "fmea"),
  ])
    add(options.root, rel);
  const templates = resolve(options.templates);
  for (const rel of listFiles(templates, ".")) add(templates, rel);
  // generator/dist (the setup-time build) is compiled from the files hashed here: not hashed again.
  // The bundle's own sources were just hashed by launch.mjs (the bundle's name is that hash):
  // their hash stands for them instead of a second read.
  const bundled = bundleSources();
  if (bundled) parts.push("bundle", bundled.hash);
  for (const rel of [
    ...listFiles(TOOL_ROOT, "generator").filter(
      (f) => !f.startsWith("generator/dist/") && !bundled?.inputs.has(f),
    ),
    "package-lock.json",
    ".prettierrc.json",
    "runtime/package.json",
  ])
    add(TOOL_ROOT, rel);
  return StepCache.key("run", ...parts);
}

/** The bundle's source files and their hash, as launch.mjs checked them (undefined without a bundle). */
function bundleSources(): { inputs: Set<string>; hash: string } | undefined {
  const shared = (globalThis as Record<symbol, unknown>)[Symbol.for("v2c-gen.bundle-sources")] as
    { inputs: string[]; hash: string } | undefined;
  return shared ? { inputs: new Set(shared.inputs), hash: shared.hash } : undefined;
}

function listFiles(base: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(base, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = rel === "." ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}
