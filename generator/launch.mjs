// The `npm run generate` entry point: runs the generator CLI as compiled JavaScript.
//
// generator/cli.ts and everything it imports (generator/**, runtime/src files it reads, and the
// few npm packages every run loads: BUNDLED_PACKAGES) is bundled with esbuild into one CommonJS
// file, cli-<hash>.cjs; cli.json beside it lists the files esbuild read and <hash> hashes their
// contents, so an edited source (or an updated bundled package) can never run stale code: it
// is a rebuild (~0.1 s). The bundle runs through `vm.Script` with V8's code cache of an earlier
// run (generator/code-cache.mjs), so its functions are not compiled again. The bundle is looked for in
// generator/dist/ (built at setup time: `--build`, which `npm ci` runs as the `prepare`
// script) and then in node_modules/.cache/v2c-gen/ (built on demand). Without esbuild (or when
// the build fails) it falls back to tsx, which runs the same sources more slowly.
//
//   --build         setup-time build into generator/dist/: the bundle and its code cache, plus
//                   every template precompiled and the JSON Schemas' validators
//                   (generator/compiled/prebuild.ts)
//   --print-bundle  prints the bundle path (building it if needed)
//
// Plain JavaScript on purpose: it must run before anything is compiled.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { codeCacheOf, runWithCodeCache } from "./code-cache.mjs";
import { startEarlyBufBuild } from "./load/buf-build.mjs";
import { startEarlyYamlWorker } from "./load/yaml-worker.mjs";

// No optimising compiler (TurboFan) in this process and its workers: a run is over in about a
// second, before most optimised code would pay back its compilation, which takes CPU on the
// second core that the YAML worker and buf need. Measured (2 cores, median of 5): fresh clone
// 1.59 -> 1.27 s CPU, and even a full `--no-cache` run (~6 s: prettier, the AsyncAPI parser)
// got faster. Set before anything is compiled, so the code cache always sees the same flags.
v8.setFlagsFromString("--no-opt");

const GENERATOR = import.meta.dirname;
const ROOT = resolve(GENERATOR, "..");
/** The setup-time build (`--build`); gitignored like every dist/. */
const DIST_DIR = join(GENERATOR, "dist");
/** Bundles built on demand. */
const CACHE_DIR = join(ROOT, "node_modules", ".cache", "v2c-gen");
/** Bump when the build recipe below changes. */
const RECIPE = "2";

/** The build's record in `dir`: the source files esbuild read, and the hash of their contents. */
const recordOf = (dir) => join(dir, "cli.json");

/** Hash of the recipe, the tool's location and the given source files (relative to ROOT). */
function sourceHash(inputs) {
  const h = createHash("sha256").update(`${RECIPE}\0${ROOT}\0${process.version}\0`);
  for (const rel of inputs) {
    h.update(rel).update("\0");
    try {
      h.update(readFileSync(join(ROOT, rel)));
    } catch {
      h.update("\0missing");
    }
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * Tells the bundle which source files it was built from and their hash, just checked: the
 * whole-run cache key (generator/pipeline.ts) takes the hash instead of reading them again.
 */
function shareSources(inputs, hash) {
  globalThis[Symbol.for("v2c-gen.bundle-sources")] = { inputs, hash };
}

/** The bundle in `dir`, if the files it was built from are unchanged (a changed file that imports a new one changes too). */
function currentBundle(dir) {
  try {
    const { inputs, hash } = JSON.parse(readFileSync(recordOf(dir), "utf8"));
    const file = join(dir, `cli-${hash}.cjs`);
    if (hash !== sourceHash(inputs) || !existsSync(file)) return undefined;
    shareSources(inputs, hash);
    return file;
  } catch {
    return undefined;
  }
}

/**
 * esbuild plugin: a bundle has one location, but the sources compute paths from their own
 * (`import.meta.dirname`, `import.meta.url`); give each file its original values.
 */
const keepModuleLocation = {
  name: "keep-module-location",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8")
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      return { contents: text, loader: "ts" };
    });
  },
};

/**
 * The npm packages bundled in (the rest stay external): the ones every run loads, so Node's
 * module resolver never walks their files at startup. Not here: packages loaded by path in a
 * worker (ts-proto, the AsyncAPI parser, yaml), loaded only when needed (prettier, ajv, diff,
 * the Handlebars compiler) or that read their own files. Their files are bundle inputs like the
 * generator's own, so their contents are in the bundle's hash.
 */
const BUNDLED_PACKAGES = new Set([
  "@bufbuild/protobuf",
  "@bufbuild/protovalidate",
  "handlebars",
  "js-yaml",
  "plantuml-encoder",
]);

/** The package name of a bare import specifier (`@scope/name/sub` -> `@scope/name`). */
const packageOf = (spec) =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

/** esbuild plugin: every bare import external except those of {@link BUNDLED_PACKAGES}. */
const externalPackages = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.has(packageOf(args.path)) ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * esbuild's options for a bundle of `entry` (npm packages external but a few, module locations
 * kept): CommonJS for the CLI (run with its code cache); ESM for the setup-time prebuild script.
 */
function bundleOptions(entry, outfile, format) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    metafile: true,
    platform: "node",
    format,
    target: `node${process.versions.node.split(".")[0]}`,
    logLevel: "silent",
    plugins: [keepModuleLocation, externalPackages],
    // No `import()` left in the CommonJS bundle (an external package is `require`d instead):
    // a function V8 takes from the code cache has lost vm.Script's dynamic-import callback.
    supported: format === "cjs" ? { "dynamic-import": false } : {},
    // CommonJS packages bundled into an ES module call `require` (for Node's built-in modules).
    banner:
      format === "esm"
        ? {
            js: 'import { createRequire as __v2cCreateRequire } from "node:module"; const require = __v2cCreateRequire(import.meta.url);',
          }
        : {},
  };
}

/** esbuild's API, or undefined when it is not installed. */
async function loadEsbuild() {
  try {
    return await import("esbuild");
  } catch {
    return undefined;
  }
}

/** Builds the CLI bundle into `dir` and records it; returns its path, or undefined when esbuild is unavailable or fails. */
async function buildBundle(dir) {
  const esbuild = await loadEsbuild();
  if (!esbuild) return undefined;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `cli.${process.pid}.tmp`);
  let result;
  try {
    result = await esbuild.build(bundleOptions(join(GENERATOR, "cli.ts"), tmp, "cjs"));
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
  // Every file esbuild read (generator/ and whatever it imports from runtime/), relative to ROOT.
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => relative(ROOT, resolve(process.cwd(), p)))
    .sort();
  const hash = sourceHash(inputs);
  const file = join(dir, `cli-${hash}.cjs`);
  rmSync(codeCacheOf(file), { force: true }); // made for the text this build replaces
  renameSync(tmp, file);
  shareSources(inputs, hash);
  const recordTmp = `${recordOf(dir)}.${process.pid}.tmp`;
  writeFileSync(recordTmp, JSON.stringify({ inputs, hash }));
  renameSync(recordTmp, recordOf(dir));
  // Bundles of older sources are removed (after a minute, in case a concurrent run uses one).
  for (const old of readdirSync(dir)) {
    const p = join(dir, old);
    if (
      !p.startsWith(file) &&
      /^cli-.*\.(mjs|cjs|cjs\.v8)$/.test(old) &&
      Date.now() - statSync(p).mtimeMs > 60_000
    )
      rmSync(p, { force: true });
  }
  return file;
}

/** The bundle to run: the setup-time build if current, else the cached one, else built now. */
async function ensureBundle() {
  return currentBundle(DIST_DIR) ?? currentBundle(CACHE_DIR) ?? (await buildBundle(CACHE_DIR));
}

/**
 * Writes the setup-time bundle's code cache (generator/code-cache.mjs) by running it once as
 * `--check` on this repository's spec, with a throw-away cache folder so that the run leaves
 * nothing else behind (a later run is as fresh as without it). True when the cache exists after.
 */
function warmCodeCache(bundle) {
  const scratch = mkdtempSync(join(tmpdir(), "v2c-gen-warm-"));
  try {
    spawnSync(process.execPath, [join(GENERATOR, "launch.mjs"), "--check"], {
      cwd: ROOT,
      stdio: "ignore",
      timeout: 120_000,
      env: { ...process.env, V2C_GEN_CACHE_DIR: scratch, V2C_GEN_TIMINGS: "" },
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return existsSync(codeCacheOf(bundle));
}

/**
 * `--build`: the CLI bundle into generator/dist/, then the precompiled templates and validators
 * (generator/compiled/prebuild.ts, bundled and run the same way). Never fails the install that
 * runs it: without esbuild, or on an error, it says so and the generator compiles on demand.
 */
async function setupBuild() {
  const started = performance.now();
  try {
    const bundle = await buildBundle(DIST_DIR);
    const esbuild = bundle && (await loadEsbuild());
    if (!esbuild) {
      process.stdout.write("v2c-gen build: esbuild unavailable; the generator runs through tsx\n");
      return;
    }
    const script = join(DIST_DIR, "prebuild.mjs");
    await esbuild.build(bundleOptions(join(GENERATOR, "compiled", "prebuild.ts"), script, "esm"));
    const { prebuild } = await import(`${pathToFileURL(script).href}?t=${Date.now()}`);
    const r = prebuild();
    const warmed = warmCodeCache(bundle);
    const ms = (performance.now() - started).toFixed(0);
    process.stdout.write(
      `v2c-gen build: ${relative(ROOT, bundle)}${warmed ? " with its code cache" : ""}, ${r.templates} templates and ${r.schemaSets} schema sets precompiled in ${relative(ROOT, r.dir)}/ (${ms} ms)\n`,
    );
  } catch (e) {
    process.stdout.write(
      `v2c-gen build: skipped (${e instanceof Error ? e.message : String(e)}); the generator compiles on demand\n`,
    );
  }
}

/**
 * Starts, before anything else, the spec's `buf build` (generator/load/buf-build.mjs) and the
 * YAML worker with the spec's YAML files posted to it (generator/load/yaml-worker.mjs): both
 * run beside the bundle's loading, and the pipeline takes them over. Only for a command line
 * the generator accepts as a run (`--root` read as the CLI reads it).
 */
function startEarly(argv) {
  let root = process.cwd();
  let out;
  let cache = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root" || a === "--out") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) return;
      if (a === "--root") root = resolve(v);
      else out = resolve(v);
    } else if (a === "--no-cache") cache = false;
    else if (a !== "--check" && a !== "--strict") return;
  }
  const cacheDir = cache ? resolve(process.env.V2C_GEN_CACHE_DIR || CACHE_DIR) : undefined;
  // The output folder's records (its manifest) may hold the build, as its step cache may.
  const recordsDir = cache ? (out ?? join(root, "generated")) : undefined;
  startEarlyBufBuild({ toolRoot: ROOT, root, cacheDir, recordsDir });
  startEarlyYamlWorker({
    root,
    core: join(GENERATOR, "load", "yaml-positions-core.cjs"),
    cacheDir,
  });
}

if (process.argv[2] === "--build") {
  await setupBuild();
} else {
  startEarly(process.argv.slice(2));
  const bundle = await ensureBundle();
  if (process.argv[2] === "--print-bundle") {
    process.stdout.write(`${bundle ?? "(no bundle: esbuild unavailable, tsx fallback)"}\n`);
  } else if (bundle) {
    runWithCodeCache(bundle);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(GENERATOR, "cli.ts")).href);
  }
}
