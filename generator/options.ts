import { join, resolve } from "node:path";

/** Options of one generator run; every field has an explicit default. */
export interface GeneratorOptions {
  /** Folder holding asyncapi.yaml, proto/ and fmea/. */
  readonly root: string;
  /** Output folder (default `<root>/generated`). */
  readonly out: string;
  /** Templates folder (default: the toolchain's own `templates/`). */
  readonly templates: string;
  /** Compare with the output folder instead of writing; exit 1 on drift. */
  readonly check: boolean;
  /** Coverage gate: fail when a failure mode lacks a detection, alarm, mitigation or test in the output. */
  readonly strict: boolean;
  /**
   * Cache folder for slow pure steps (default node_modules/.cache/v2c-gen, or the folder
   * `V2C_GEN_CACHE_DIR` names); undefined disables caching.
   */
  readonly cacheDir: string | undefined;
}

const TOOL_ROOT = resolve(import.meta.dirname, "..");

/** The defaults for a spec root. */
export function defaultOptions(root: string = process.cwd()): GeneratorOptions {
  const r = resolve(root);
  return {
    root: r,
    out: resolve(r, "generated"),
    templates: resolve(TOOL_ROOT, "templates"),
    check: false,
    strict: false,
    cacheDir: resolve(
      process.env.V2C_GEN_CACHE_DIR || join(TOOL_ROOT, "node_modules", ".cache", "v2c-gen"),
    ),
  };
}

export const USAGE = `Usage: npm run generate -- [options]

Generates generated/ from asyncapi.yaml, proto/ and fmea/.

Options:
  --check            write nothing; report changed, missing and orphaned files and exit 1 on drift
  --strict           coverage gate: fail when any failure mode lacks its detection,
                     alarm, mitigation or test in the generated output
  --root <dir>       folder with the spec sources (default: current folder)
  --out <dir>        output folder (default: <root>/generated)
  --no-cache         do not reuse cached ts-proto / AsyncAPI parser results
  -h, --help         show this help`;

/** Thrown for a command line the generator does not understand. */
export class UsageError extends Error {}

/** Parses command-line arguments; unknown options are errors, not ignored. */
export function parseArgs(argv: readonly string[]): GeneratorOptions | "help" {
  let root: string | undefined;
  let out: string | undefined;
  let check = false;
  let strict = false;
  let cache = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--check") check = true;
    else if (a === "--strict") strict = true;
    else if (a === "--no-cache") cache = false;
    else if (a === "--root") root = value();
    else if (a === "--out") out = value();
    else if (a === "-h" || a === "--help") return "help";
    else throw new UsageError(`unknown option ${a}`);
  }
  const base = defaultOptions(root);
  return {
    ...base,
    out: out ? resolve(out) : base.out,
    check,
    strict,
    cacheDir: cache ? base.cacheDir : undefined,
  };
}
