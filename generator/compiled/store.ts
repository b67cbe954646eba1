import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const TOOL_ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * Where `npm ci` (the `prepare` script: `node generator/launch.mjs --build`) leaves compiled
 * code: precompiled Handlebars templates and standalone ajv validators, one file per content
 * key. Gitignored (`dist/`); a missing or stale entry is only slower (it is compiled on demand).
 */
export const PREBUILT_DIR = join(TOOL_ROOT, "generator", "dist", "prebuilt");

/** `require` as seen from the toolchain (compiled code requires ajv's runtime helpers). */
const toolRequire = createRequire(join(TOOL_ROOT, "package.json"));

let cacheDir: string | undefined;
let buildDir: string | undefined;

/**
 * Sets the folder where code compiled on demand is kept between runs (the generator's
 * node_modules/.cache folder; undefined: kept in memory only, for this process).
 */
export function setCompiledCacheDir(dir: string | undefined): void {
  cacheDir = dir;
}

/**
 * Build mode (`launch.mjs --build`): every {@link loadCompiled} call compiles afresh and writes
 * its code into `dir` (the prebuilt folder), ignoring what is already there.
 */
export function setPrebuildDir(dir: string | undefined): void {
  buildDir = dir;
}

/** A content key for compiled code: hashes the compiler's name, version, options and inputs. */
export function compiledKey(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
}

const loaded = new Map<string, unknown>();

/**
 * The exports of the CommonJS code that `compile()` produces for `key`: taken from the prebuilt
 * folder, else from the cache folder, else compiled now (and kept in the cache folder). The key
 * must hash everything the code depends on, so an entry found is always the code `compile()`
 * would produce.
 */
export function loadCompiled<T>(kind: string, key: string, compile: () => string): T {
  const name = `${kind}-${key}.cjs`;
  const hit = loaded.get(name);
  if (hit !== undefined && !buildDir) return hit as T;
  let code = buildDir ? undefined : (readCode(PREBUILT_DIR, name) ?? readCode(cacheDir, name));
  if (code === undefined) {
    code = compile();
    writeCode(buildDir ?? cacheDir, name, code);
  }
  const exports = evaluate(code);
  loaded.set(name, exports);
  return exports as T;
}

function readCode(dir: string | undefined, name: string): string | undefined {
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return undefined;
  }
}

function writeCode(dir: string | undefined, name: string, code: string): void {
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    writeFileSync(tmp, code);
    renameSync(tmp, join(dir, name));
  } catch {
    // A folder that cannot be written is only slower next time.
  }
}

/** Runs CommonJS code with the toolchain's `require`; returns `module.exports`. */
function evaluate(code: string): unknown {
  const module = { exports: {} as unknown };
  // Code this toolchain compiled (keyed by content), never input.
  new Function("module", "exports", "require", code)(module, module.exports, toolRequire);
  return module.exports;
}
