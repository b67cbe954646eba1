// The `npm run generate` entry point: runs the generator CLI as compiled JavaScript.
//
// generator/cli.ts and everything it imports (generator/**, runtime/src files it reads) is
// bundled with esbuild (npm packages stay external) into node_modules/.cache/v2c-gen/
// cli-<hash>.mjs; cli.json beside it lists the files esbuild read and <hash> hashes their
// contents, so an edited source can never run stale code: it is a rebuild (~0.1 s). Without esbuild (or when the build fails) it falls back to tsx, which runs
// the same sources more slowly. `--print-bundle` prints the bundle path (building it if needed).
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
import process from "node:process";
import { pathToFileURL } from "node:url";

const GENERATOR = import.meta.dirname;
const ROOT = resolve(GENERATOR, "..");
const OUT_DIR = join(ROOT, "node_modules", ".cache", "v2c-gen");
/** Bump when the build recipe below changes. */
const RECIPE = "1";

/** The build's record: the source files esbuild read, and the hash of their contents. */
const RECORD = join(OUT_DIR, "cli.json");

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

/** The current bundle, if the files it was built from are unchanged (a changed file that imports a new one changes too). */
function currentBundle() {
  try {
    const { inputs, hash } = JSON.parse(readFileSync(RECORD, "utf8"));
    const file = join(OUT_DIR, `cli-${hash}.mjs`);
    return hash === sourceHash(inputs) && existsSync(file) ? file : undefined;
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

/** Builds the bundle if it is missing or stale; returns its path, or undefined when esbuild is unavailable. */
async function ensureBundle() {
  const current = currentBundle();
  if (current) return current;
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return undefined;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = join(OUT_DIR, `cli.${process.pid}.tmp`);
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [join(GENERATOR, "cli.ts")],
      outfile: tmp,
      bundle: true,
      metafile: true,
      platform: "node",
      format: "esm",
      target: `node${process.versions.node.split(".")[0]}`,
      packages: "external",
      logLevel: "silent",
      plugins: [keepModuleLocation],
    });
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
  // Every file esbuild read (generator/ and whatever it imports from runtime/), relative to ROOT.
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => relative(ROOT, resolve(process.cwd(), p)))
    .sort();
  const hash = sourceHash(inputs);
  const file = join(OUT_DIR, `cli-${hash}.mjs`);
  renameSync(tmp, file);
  const recordTmp = `${RECORD}.${process.pid}.tmp`;
  writeFileSync(recordTmp, JSON.stringify({ inputs, hash }));
  renameSync(recordTmp, RECORD);
  // Bundles of older sources are removed (after a minute, in case a concurrent run uses one).
  for (const old of readdirSync(OUT_DIR)) {
    const p = join(OUT_DIR, old);
    if (p !== file && /^cli-.*\.mjs$/.test(old) && Date.now() - statSync(p).mtimeMs > 60_000)
      rmSync(p, { force: true });
  }
  return file;
}

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
