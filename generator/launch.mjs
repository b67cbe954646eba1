// The `npm run generate` entry point: runs the generator CLI as compiled JavaScript.
//
// generator/**/*.ts is bundled with esbuild (npm packages stay external) into
// node_modules/.cache/v2c-gen/cli-<hash>.mjs, where <hash> covers every generator source file,
// so an edited generator can never run stale code: a changed source is a new file name and a
// rebuild (~0.1 s). Without esbuild (or when the build fails) it falls back to tsx, which runs
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
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

const GENERATOR = import.meta.dirname;
const ROOT = resolve(GENERATOR, "..");
const OUT_DIR = join(ROOT, "node_modules", ".cache", "v2c-gen");
/** Bump when the build recipe below changes. */
const RECIPE = "1";

/** Every `.ts` file under generator/ (sorted, relative). */
function sources() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(relative(GENERATOR, p));
    }
  };
  walk(GENERATOR);
  return out.sort();
}

/** Hash of the recipe, the tool's location and every generator source file. */
function sourceHash() {
  const h = createHash("sha256").update(`${RECIPE}\0${ROOT}\0${process.version}\0`);
  for (const rel of sources())
    h.update(rel)
      .update("\0")
      .update(readFileSync(join(GENERATOR, rel)))
      .update("\0");
  return h.digest("hex").slice(0, 16);
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

/** Builds the bundle if it is missing; returns its path, or undefined when esbuild is unavailable. */
async function ensureBundle() {
  const file = join(OUT_DIR, `cli-${sourceHash()}.mjs`);
  if (existsSync(file)) return file;
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return undefined;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [join(GENERATOR, "cli.ts")],
      outfile: tmp,
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${process.versions.node.split(".")[0]}`,
      packages: "external",
      splitting: false,
      logLevel: "silent",
      plugins: [keepModuleLocation],
    });
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
  renameSync(tmp, file);
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
