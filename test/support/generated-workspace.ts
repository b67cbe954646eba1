import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { formatDiagnostic } from "../../generator/diagnostics.js";
import { defaultOptions } from "../../generator/options.js";
import { writeFiles } from "../../generator/output/write.js";
import { generate, type GenerationResult } from "../../generator/pipeline.js";
import { REPO } from "./spec-fixture.js";

/**
 * Where generated copies live while tests run: inside the repository (so `@v2c/runtime`,
 * `mqtt`, `vitest` ... resolve from its node_modules by walking up) but in the git-ignored
 * `.tmp/`, which the root tsconfig, vitest include, eslint and prettier all leave alone.
 */
export const WORKSPACES_DIR = join(REPO, ".tmp", "h7-workspaces");

/** A spec generated into a throw-away workspace whose packages resolve each other. */
export interface GeneratedWorkspace {
  /** The workspace folder (holds node_modules/<scope>/<pkg> links and the configs). */
  readonly dir: string;
  /** The generator's output folder, `<dir>/generated`. */
  readonly out: string;
  readonly result: GenerationResult;
  /** Every diagnostic, formatted `file:line:col: severity: message [code]`. */
  readonly messages: string[];
  /** Generated package folders (those with a package.json) -> their npm names. */
  readonly packages: ReadonlyMap<string, string>;
}

/**
 * Generates the spec sources in `specRoot` into a fresh workspace `name`, then links each
 * generated package as `<dir>/node_modules/<package name>` the way npm workspaces would (the
 * generated tsconfigs are self-contained: nothing of the repository is copied next to them).
 * A failed generation leaves an empty output (see `result`).
 * Throws only when the generator itself throws (an internal error), with its message.
 * `cache` reuses the generator's content-keyed step caches (same bytes, faster).
 */
export async function generateWorkspace(
  name: string,
  specRoot: string,
  { cache = true }: { cache?: boolean } = {},
): Promise<GeneratedWorkspace> {
  const dir = join(WORKSPACES_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "generated");
  const base = defaultOptions(specRoot);
  const result = await generate({ ...base, out, cacheDir: cache ? base.cacheDir : undefined });
  const messages = result.diagnostics.map(formatDiagnostic);
  const packages = new Map<string, string>();
  if (result.ok) {
    writeFiles(out, result.files);
    for (const d of readdirSync(out, { withFileTypes: true })) {
      const pj = join(out, d.name, "package.json");
      if (!d.isDirectory() || !existsSync(pj)) continue;
      const pkgName = (JSON.parse(readFileSync(pj, "utf8")) as { name: string }).name;
      packages.set(d.name, pkgName);
      const link = join(dir, "node_modules", pkgName);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), join(out, d.name)), link, "dir");
    }
  }
  writeFileSync(join(dir, "vitest.config.mts"), vitestConfig("generated/*/test/**/*.test.ts"));
  return { dir, out, result, messages, packages };
}

/**
 * A vitest config for generated tests: scoped bare imports resolve to their `v2c-source` targets
 * from the importing file's folder upwards (so a workspace's own `@v2c/spec` wins over the
 * repository's), through the resolver the repository's vitest.config.ts uses too.
 */
function vitestConfig(include: string): string {
  const plugin = join(REPO, "test", "support", "workspace-sources.ts");
  return `import { SOURCE_CONDITION, workspaceSources } from ${JSON.stringify(plugin)};
export default {
  plugins: [workspaceSources(${JSON.stringify(REPO)})],
  test: {
    include: [${JSON.stringify(include)}],
    exclude: ["**/node_modules/**"],
    pool: "forks",
    testTimeout: 30000,
    hookTimeout: 60000,
    env: { SCARF_ANALYTICS: "false", NODE_OPTIONS: "--conditions=" + SOURCE_CONDITION },
  },
};
`;
}

/** Output of a child process; `code` -1 when it was killed by the timeout. */
export interface RunResult {
  readonly code: number;
  readonly output: string;
}

function run(args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, SCARF_ANALYTICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, output });
    });
  });
}

/** `tsc --noEmit -p <pkg>/tsconfig.json` on one generated package of the workspace. */
export function typecheckPackage(ws: GeneratedWorkspace, pkg: string, timeoutMs = 170_000) {
  return run(
    [
      join(REPO, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "-p",
      join(ws.out, pkg, "tsconfig.json"),
    ],
    ws.dir,
    timeoutMs,
  );
}

/**
 * Runs the generated tests of the workspace with vitest (a separate process, its own config);
 * `filters` are vitest file filters (e.g. `generated/handlers/`), none = every generated test.
 */
export function runGeneratedTests(
  ws: GeneratedWorkspace,
  filters: readonly string[],
  timeoutMs = 240_000,
): Promise<RunResult> {
  return run(
    [
      join(REPO, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--config",
      join(ws.dir, "vitest.config.mts"),
      "--root",
      ws.dir,
      "--reporter",
      "dot",
      ...filters,
    ],
    ws.dir,
    timeoutMs,
  );
}

/** The generated test files of one package, relative to the workspace (for filters, reports). */
export function generatedTestFiles(ws: GeneratedWorkspace, pkg: string): string[] {
  const base = join(ws.out, pkg, "test");
  if (!existsSync(base)) return [];
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts")) found.push(relative(ws.dir, p));
    }
  };
  walk(base);
  return found.sort();
}

/** One generated package of one workspace. */
export interface PackageRef {
  readonly ws: GeneratedWorkspace;
  readonly pkg: string;
}

/** Result of one tsc run over several packages: its output and the errors per workspace. */
export interface TypecheckResult extends RunResult {
  /** tsc error lines whose file lies in `ws` (optionally only under generated/<pkg>/). */
  errorsIn(ws: GeneratedWorkspace, pkg?: string): string[];
}

/**
 * Typechecks several generated packages with one tsc program per workspace: within a
 * workspace the big declaration sets (aws-cdk-lib, the AWS SDK, node) are loaded once instead
 * of once per package. (Not one program for all workspaces: tsc deduplicates packages with the
 * same name and version, so every workspace's `@v2c/spec` would be read from the first one.)
 * Each package contributes its tsconfig's `include` folders; the packages of one workspace must
 * share the same compilerOptions (checked), which the combined program uses.
 */
export async function typecheckTogether(
  refs: readonly PackageRef[],
  label: string,
  timeoutMs = 300_000,
): Promise<TypecheckResult> {
  const byWorkspace = new Map<GeneratedWorkspace, { options: string; include: string[] }>();
  for (const { ws, pkg } of refs) {
    const dir = join(ws.out, pkg);
    const config = JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")) as {
      include?: string[];
      compilerOptions?: unknown;
    };
    const options = JSON.stringify(config.compilerOptions ?? {});
    const entry = byWorkspace.get(ws) ?? { options, include: [] };
    if (entry.options !== options)
      throw new Error(`${relative(REPO, dir)}/tsconfig.json differs from its siblings' options`);
    for (const inc of config.include ?? ["src", "test"])
      entry.include.push(relative(ws.dir, join(dir, inc)));
    byWorkspace.set(ws, entry);
  }
  let output = "";
  let code = 0;
  const failedWithoutErrorLines = new Set<GeneratedWorkspace>();
  for (const [ws, { options, include }] of byWorkspace) {
    const project = join(ws.dir, `tsconfig.${label}.json`);
    const compilerOptions = JSON.parse(options) as unknown;
    writeFileSync(project, JSON.stringify({ compilerOptions, include }, null, 2));
    const r = await run(
      [join(REPO, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", project],
      ws.dir,
      timeoutMs,
    );
    // tsc prints paths relative to its cwd: make them relative to the workspaces folder.
    const prefix = relative(WORKSPACES_DIR, ws.dir);
    output += r.output
      .split("\n")
      .map((l) => (/error TS\d+/.test(l) && !l.startsWith("/") ? `${prefix}/${l}` : l))
      .join("\n");
    code = code || r.code;
    if (r.code !== 0 && !/\(\d+,\d+\): error TS/.test(r.output)) failedWithoutErrorLines.add(ws);
  }
  const lines = output.split("\n").filter((l) => /error TS\d+/.test(l));
  return {
    code,
    output,
    errorsIn: (ws, pkg) => {
      const at = relative(WORKSPACES_DIR, pkg ? join(ws.out, pkg) : ws.dir) + "/";
      const found = lines.filter((l) => l.startsWith(at));
      // tsc failed without a located error (a config problem, a crash, the timeout).
      if (failedWithoutErrorLines.has(ws)) found.push(`tsc failed: ${output.slice(-2000)}`);
      return found;
    },
  };
}

/** Per test file: whether it passed, the failure messages, and each test's status. */
export interface TestFileResult {
  readonly status: string;
  readonly failures: string[];
  /** Every test of the file with vitest's status (`passed`, `failed`, `todo`, `skipped`...). */
  readonly tests: { readonly name: string; readonly status: string }[];
}

/**
 * Runs the given generated test files (of one or more workspaces) in ONE vitest process rooted
 * at the workspaces folder, with a JSON report; returns the result per file (workspace-relative
 * path as given) plus the raw output.
 */
export async function runTestsTogether(
  files: readonly { ws: GeneratedWorkspace; file: string }[],
  label: string,
  timeoutMs = 480_000,
): Promise<RunResult & { files: Map<string, TestFileResult> }> {
  mkdirSync(WORKSPACES_DIR, { recursive: true });
  const config = join(WORKSPACES_DIR, `vitest.${label}.mts`);
  writeFileSync(config, vitestConfig("*/generated/*/test/**/*.test.ts"));
  const report = join(WORKSPACES_DIR, `vitest.${label}.json`);
  rmSync(report, { force: true });
  const abs = files.map(({ ws, file }) => join(ws.dir, file));
  const r = await run(
    [
      join(REPO, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--config",
      config,
      "--root",
      WORKSPACES_DIR,
      "--reporter",
      "json",
      "--outputFile",
      report,
      ...abs.map((f) => relative(WORKSPACES_DIR, f)),
    ],
    WORKSPACES_DIR,
    timeoutMs,
  );
  const results = new Map<string, TestFileResult>();
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, "utf8")) as {
      testResults: {
        name: string;
        status: string;
        message?: string;
        assertionResults: { status: string; fullName: string; failureMessages: string[] }[];
      }[];
    };
    for (const t of json.testResults)
      results.set(t.name, {
        status: t.status,
        failures: [
          ...(t.message ? [t.message] : []),
          ...t.assertionResults
            .filter((a) => a.status === "failed")
            .map((a) => `${a.fullName}: ${a.failureMessages.join("\n").slice(0, 1500)}`),
        ],
        tests: t.assertionResults.map((a) => ({ name: a.fullName, status: a.status })),
      });
  }
  return { ...r, files: results };
}

/** Removes a workspace (tests call it in afterAll unless KEEP_WORKSPACES=1 for debugging). */
export function removeWorkspace(ws: GeneratedWorkspace | undefined): void {
  if (ws && process.env.KEEP_WORKSPACES !== "1") rmSync(ws.dir, { recursive: true, force: true });
}

/** The generated contract module (`spec/src/contract.ts`) of a workspace, loaded as code. */
export interface GeneratedContract {
  readonly servers: Record<string, Record<string, unknown>>;
  readonly channels: Record<string, { address: string } & Record<string, unknown>>;
  readonly operations: Record<string, Record<string, unknown>>;
  readonly messages: Record<string, { envelope?: Record<string, { field: string }> }>;
}

/** Imports the workspace's generated contract (vitest transforms the TypeScript). */
export async function generatedContract(ws: GeneratedWorkspace): Promise<GeneratedContract> {
  return (await import(join(ws.out, "spec", "src", "contract.ts"))) as GeneratedContract;
}
