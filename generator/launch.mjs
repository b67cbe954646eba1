// The `npm run generate` entry point: runs the generator CLI as compiled JavaScript.
//
// generator/cli.ts and everything it imports (generator/**, runtime/src files it reads) is
// bundled with esbuild (npm packages stay external) into cli-<hash>.mjs; cli.json beside it
// lists the files esbuild read and <hash> hashes their contents, so an edited source can never
// run stale code: it is a rebuild (~0.1 s). The bundle is looked for in generator/dist/ (built
// at setup time: `--build`, which `npm ci` runs as the `prepare` script) and then in
// node_modules/.cache/v2c-gen/ (built on demand). Without esbuild (or when the build fails) it
// falls back to tsx, which runs the same sources more slowly.
//
//   --build         setup-time build into generator/dist/: the bundle, plus every template
//                   precompiled and the JSON Schemas' validators (generator/compiled/prebuild.ts)
//   --print-bundle  prints the bundle path (building it if needed)
//
// Plain JavaScript on purpose: it must run before anything is compiled.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { startEarlyBufBuild } from "./load/buf-build.mjs";
import { startEarlyYamlWorker } from "./load/yaml-worker.mjs";

const GENERATOR = import.meta.dirname;
const ROOT = resolve(GENERATOR, "..");
/** The setup-time build (`--build`); gitignored like every dist/. */
const DIST_DIR = join(GENERATOR, "dist");
/** Bundles built on demand. */
const CACHE_DIR = join(ROOT, "node_modules", ".cache", "v2c-gen");
/** Bump when the build recipe below changes. */
const RECIPE = "1";

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
    const file = join(dir, `cli-${hash}.mjs`);
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

/** esbuild's options for a bundle of `entry` (npm packages external, module locations kept). */
function bundleOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    metafile: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    packages: "external",
    logLevel: "silent",
    plugins: [keepModuleLocation],
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
    result = await esbuild.build(bundleOptions(join(GENERATOR, "cli.ts"), tmp));
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
  // Every file esbuild read (generator/ and whatever it imports from runtime/), relative to ROOT.
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => relative(ROOT, resolve(process.cwd(), p)))
    .sort();
  const hash = sourceHash(inputs);
  const file = join(dir, `cli-${hash}.mjs`);
  renameSync(tmp, file);
  shareSources(inputs, hash);
  const recordTmp = `${recordOf(dir)}.${process.pid}.tmp`;
  writeFileSync(recordTmp, JSON.stringify({ inputs, hash }));
  renameSync(recordTmp, recordOf(dir));
  // Bundles of older sources are removed (after a minute, in case a concurrent run uses one).
  for (const old of readdirSync(dir)) {
    const p = join(dir, old);
    if (p !== file && /^cli-.*\.mjs$/.test(old) && Date.now() - statSync(p).mtimeMs > 60_000)
      rmSync(p, { force: true });
  }
  return file;
}

/** The bundle to run: the setup-time build if current, else the cached one, else built now. */
async function ensureBundle() {
  return currentBundle(DIST_DIR) ?? currentBundle(CACHE_DIR) ?? (await buildBundle(CACHE_DIR));
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
    await esbuild.build(bundleOptions(join(GENERATOR, "compiled", "prebuild.ts"), script));
    const { prebuild } = await import(`${pathToFileURL(script).href}?t=${Date.now()}`);
    const r = prebuild();
    const ms = (performance.now() - started).toFixed(0);
    process.stdout.write(
      `v2c-gen build: ${relative(ROOT, bundle)}, ${r.templates} templates and ${r.schemaSets} schema sets precompiled in ${relative(ROOT, r.dir)}/ (${ms} ms)\n`,
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
  let cache = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root" || a === "--out") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) return;
      if (a === "--root") root = resolve(v);
    } else if (a === "--no-cache") cache = false;
    else if (a !== "--check" && a !== "--strict") return;
  }
  const cacheDir = cache ? join(ROOT, "node_modules", ".cache", "v2c-gen") : undefined;
  startEarlyBufBuild({ toolRoot: ROOT, root, cacheDir });
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
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(GENERATOR, "cli.ts")).href);
  }
}
