// Runs a CommonJS file with V8's code cache kept beside it (`<file>.v8`): the generator's bundle
// (launch.mjs) is compiled once, not on every run. Node 20 has no module.enableCompileCache;
// `vm.Script` with `cachedData` is the same mechanism by hand.
//
// Plain JavaScript on purpose: launch.mjs loads it before anything is compiled.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import process from "node:process";
import vm from "node:vm";

/** Where V8's code cache of `file` is kept: beside it. */
export const codeCacheOf = (file) => `${file}.v8`;

/**
 * Runs the CommonJS file `file` as Node would `require` it (its own `require`, `module`,
 * `__filename`, `__dirname`; `import()` through Node's loader), but compiled through `vm.Script`
 * with V8's code cache (`<file>.v8`: the bytecode of every function a run compiled), so neither
 * the file nor the functions a run calls are compiled again.
 *
 * The cache file starts with the SHA-256 of the text it was made for: a cache of any other text
 * is never handed to V8 (V8's own check compares little more than the text's length, so a stale
 * cache of an edited file could otherwise run the old code), and one V8 rejects (another Node,
 * other V8 flags) is ignored. When there was no usable cache, the run writes one as the process
 * exits, with every function compiled by then.
 *
 * Returns how it was compiled: "cached" (from the code cache), "compiled" (no cache for this
 * text) or "rejected" (a cache for this text that V8 refused).
 */
export function runWithCodeCache(file) {
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "utf8")}\n})`;
  const digest = createHash("sha256").update(wrapped).digest();
  const cacheFile = codeCacheOf(file);
  let cachedData;
  try {
    const data = readFileSync(cacheFile);
    if (data.subarray(0, digest.length).equals(digest)) cachedData = data.subarray(digest.length);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(wrapped, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const how = !cachedData ? "compiled" : script.cachedDataRejected ? "rejected" : "cached";
  if (how !== "cached")
    process.once("exit", () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        // A folder that cannot be written is only slower next time.
      }
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return how;
}
