// `buf build` of the spec's protos, startable before the generator's code is even loaded.
//
// buf (a separate process, ~0.1-0.3 s) is the longest single wait of a run, and the first thing
// the model needs. generator/launch.mjs starts it here first thing — before it checks and loads
// the generator bundle — and the pipeline (load/proto.ts) takes the running build over; started
// any later, buf would run after the bundle's loading instead of beside it. Its output, the
// FileDescriptorSet with source info, depends only on the files under proto/, buf's version and
// the protovalidate module of the workspace, so it is kept in the step cache by their hash (an
// FMEA-only edit never runs buf). Plain JavaScript (no import.meta: it is also bundled) so that
// launch.mjs can load it in a millisecond.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { Buffer } from "node:buffer";
import { dirname, join, resolve } from "node:path";
import process from "node:process";

/** The arguments of the build (run in a workspace from {@link makeBufWorkspace}). */
export const BUF_BUILD_ARGS = [
  "build",
  "proto",
  "--as-file-descriptor-set",
  "-o",
  "-#format=binpb",
];

/** Name of the workspace module that holds the materialised protovalidate proto. */
const MODULE_DIR = "protovalidate";

/** Where the setup-time build leaves `buf/validate/validate.proto` (and its stamp, `.json`). */
export function prebuiltProtovalidateDir(toolRoot) {
  return join(toolRoot, "generator", "dist", "prebuilt", "protovalidate");
}

/**
 * What `buf/validate/validate.proto`'s printed text depends on: the versions of the packages it
 * is printed from and the printer's sources. A prebuilt copy with another stamp is not used.
 */
export function protovalidateStamp(toolRoot) {
  const h = createHash("sha256");
  for (const pkg of ["@bufbuild/protovalidate", "@bufbuild/protobuf"]) {
    try {
      h.update(readFileSync(join(toolRoot, "node_modules", pkg, "package.json")));
    } catch {
      h.update("\0missing");
    }
    h.update("\0");
  }
  for (const file of ["protovalidate-source.ts", "proto-scalar-types.ts"]) {
    h.update(readFileSync(join(toolRoot, "generator", "load", file))).update("\0");
  }
  return h.digest("hex");
}

/** The prebuilt protovalidate import root, when its stamp is current; else undefined. */
export function prebuiltProtovalidate(toolRoot) {
  const dir = prebuiltProtovalidateDir(toolRoot);
  try {
    const { stamp } = JSON.parse(readFileSync(`${dir}.json`, "utf8"));
    return stamp === protovalidateStamp(toolRoot) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Path of the `buf` binary shipped inside the @bufbuild/buf npm package (no download). */
export function bufBinaryPath(toolRoot) {
  const require = createRequire(join(toolRoot, "package.json"));
  const pkg = require.resolve("@bufbuild/buf/package.json");
  const platform = `@bufbuild/buf-${process.platform}-${process.arch === "x64" ? "x64" : process.arch}`;
  try {
    return join(
      dirname(require.resolve(`${platform}/package.json`, { paths: [dirname(pkg)] })),
      "bin",
      "buf",
    );
  } catch {
    return join(dirname(pkg), "bin", "buf");
  }
}

/**
 * Creates a buf v2 workspace in a temp directory whose module `proto` mirrors `protoDir`
 * (symlinks, without its own buf.yaml/buf.work.yaml/buf.lock, which would make buf treat it as
 * a workspace of its own and lose the import) and whose second module is `library` (the folder
 * holding `buf/validate/validate.proto`). `config` adds top-level buf.yaml keys.
 */
export function makeBufWorkspace(protoDir, library, config = {}) {
  const dir = mkdtempSync(join(tmpdir(), "v2c-buf-"));
  const mirror = join(dir, "proto");
  mkdirSync(mirror);
  let entries = [];
  try {
    entries = readdirSync(protoDir);
  } catch {
    entries = []; // no proto/: buf reports the empty module
  }
  for (const entry of entries) {
    if (/^buf(\.work)?\.(yaml|lock)$/.test(entry)) continue;
    symlinkSync(resolve(protoDir, entry), join(mirror, entry));
  }
  symlinkSync(library, join(dir, MODULE_DIR), "dir");
  const yaml = { version: "v2", modules: [{ path: "proto" }, { path: MODULE_DIR }], ...config };
  writeFileSync(join(dir, "buf.yaml"), `${JSON.stringify(yaml, null, 2)}\n`);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Hash of every file under `protoDir` (relative path and content), in a stable order. */
function protoTreeHash(protoDir, h) {
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(join(protoDir, rel)).sort();
    } catch {
      h.update("\0none");
      return;
    }
    for (const name of entries) {
      const child = rel ? `${rel}/${name}` : name;
      const path = join(protoDir, child);
      if (statSync(path).isDirectory()) walk(child);
      else h.update(child).update("\0").update(readFileSync(path)).update("\0");
    }
  };
  walk("");
}

/** The key of a build of `<root>/proto` with `extra` arguments against `library` (as startBufBuild computes it). */
export function bufBuildKey(toolRoot, root, library, extra = []) {
  return buildKey(toolRoot, join(root, "proto"), library, extra);
}

/** The step-cache key of a build of `protoDir` with `extra` arguments against `library`. */
function buildKey(toolRoot, protoDir, library, extra) {
  const h = createHash("sha256").update("buf-build\0");
  h.update(readFileSync(join(toolRoot, "node_modules", "@bufbuild", "buf", "package.json")));
  h.update("\0")
    .update([...BUF_BUILD_ARGS, ...extra].join(" "))
    .update("\0");
  h.update(readFileSync(join(library, "buf", "validate", "validate.proto"))).update("\0");
  protoTreeHash(protoDir, h);
  return h.digest("hex");
}

/**
 * The descriptor set that the records of the output folder `outDir` (its manifest.json,
 * `records.buf`: `{ key, sha256, descriptorSet }`, base64) hold for the build `key`, when its
 * bytes still have the recorded hash; else undefined.
 */
export function recordedBuild(outDir, key) {
  try {
    const r = JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")).records?.buf;
    if (!r || r.key !== key || typeof r.descriptorSet !== "string") return undefined;
    const bytes = Buffer.from(r.descriptorSet, "base64");
    return createHash("sha256").update(bytes).digest("hex") === r.sha256
      ? new Uint8Array(bytes)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The record of a build for the manifest ({@link recordedBuild} reads it back). */
export function buildRecord(key, bytes) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    key,
    sha256: createHash("sha256").update(buffer).digest("hex"),
    descriptorSet: buffer.toString("base64"),
  };
}

/**
 * Starts `buf build` of `<root>/proto` (with `extra` arguments) against the protovalidate
 * import root `library`: `{ result, ref, cancel }`, `result` resolving to `{ code, stdout,
 * stderr, key, source }` (`key`: hash of everything the build reads, when it could be
 * computed; `source`: "buf", "cache" or "records", where the answer came from). A
 * successful build is kept in `cacheDir` (when given) and a later build of the same files
 * answers from there without running buf; so does one the records of the output folder
 * `recordsDir` hold (a fresh clone's committed generated/manifest.json). With `background`,
 * the child does not keep the process alive until `ref()` is called (an unwanted early start
 * never delays the exit).
 */
export function startBufBuild({
  toolRoot,
  root,
  library,
  extra = [],
  cacheDir,
  recordsDir,
  background = false,
}) {
  const protoDir = join(root, "proto");
  let key;
  try {
    key = cacheDir || recordsDir ? buildKey(toolRoot, protoDir, library, extra) : undefined;
  } catch {
    key = undefined; // an unreadable file: buf reports it
  }
  const answered = (stdout, source) => ({
    result: Promise.resolve({ code: 0, stdout, stderr: "", key, source }),
    ref: () => undefined,
    cancel: () => undefined,
  });
  const cacheFile = key && cacheDir && join(cacheDir, `buf-build-${key}.binpb`);
  if (cacheFile) {
    try {
      return answered(new Uint8Array(readFileSync(cacheFile)), "cache");
    } catch {
      // not cached yet
    }
  }
  const recorded = key && recordsDir ? recordedBuild(recordsDir, key) : undefined;
  if (recorded) return answered(recorded, "records");
  const workspace = makeBufWorkspace(protoDir, library);
  let child;
  const result = new Promise((resolveRun, reject) => {
    child = spawn(bufBinaryPath(toolRoot), [...BUF_BUILD_ARGS, ...extra], {
      cwd: workspace.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", (e) => {
      workspace.dispose();
      reject(e);
    });
    child.on("close", (code) => {
      workspace.dispose();
      const stdout = new Uint8Array(Buffer.concat(out));
      if (code === 0 && cacheFile) {
        try {
          mkdirSync(cacheDir, { recursive: true });
          const tmp = `${cacheFile}.${process.pid}.tmp`;
          writeFileSync(tmp, stdout);
          renameSync(tmp, cacheFile);
        } catch {
          // a cache that cannot be written is only slower
        }
      }
      const stderr = Buffer.concat(err).toString("utf8");
      resolveRun({ code: code ?? 1, stdout, stderr, key, source: "buf" });
    });
  });
  result.catch(() => undefined); // the taker awaits it
  const streams = () => [child, child.stdout, child.stderr];
  if (background) for (const s of streams()) s.unref();
  return {
    result,
    ref: () => streams().forEach((s) => s.ref()),
    cancel: () => {
      child.kill();
      workspace.dispose();
    },
  };
}

const EARLY = Symbol.for("v2c-gen.early-buf");

/**
 * launch.mjs: starts the spec's build for `root` now, for {@link takeEarlyBufBuild} to take
 * over. Does nothing when the setup-time protovalidate copy is missing or stale (the pipeline
 * then starts buf itself). An early build nobody takes is stopped at exit.
 */
export function startEarlyBufBuild({ toolRoot, root, cacheDir, recordsDir }) {
  try {
    const library = prebuiltProtovalidate(toolRoot);
    if (!library) return;
    const run = startBufBuild({
      toolRoot,
      root,
      library,
      extra: ["--exclude-imports"],
      cacheDir,
      recordsDir,
      background: true,
    });
    const early = { root: resolve(root), run, taken: false };
    globalThis[EARLY] = early;
    process.once("exit", () => {
      if (!early.taken) run.cancel();
    });
  } catch {
    // the pipeline starts buf itself
  }
}

/**
 * The build {@link startEarlyBufBuild} started for `root` (with `--exclude-imports`), now kept
 * alive until it ends; undefined when none was (or it was taken already).
 */
export function takeEarlyBufBuild(root) {
  const early = globalThis[EARLY];
  if (!early || early.taken || early.root !== resolve(root)) return undefined;
  early.taken = true;
  early.run.ref();
  return early.run.result;
}
