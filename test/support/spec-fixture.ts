import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { defaultOptions, type GeneratorOptions } from "../../generator/options.js";

/** The repository root (where the seed spec sources live). */
export const REPO = resolve(import.meta.dirname, "..", "..");

/** The spec sources a generator run reads. */
export const SPEC_PATHS = ["asyncapi.yaml", "proto", "fmea"] as const;

/** A temporary copy of a spec folder that a test may edit and generate from. */
export interface SpecFixture {
  readonly root: string;
  readonly out: string;
  options(extra?: Partial<GeneratorOptions>): GeneratorOptions;
  read(rel: string): string;
  write(rel: string, text: string): void;
  /** Replaces exactly one occurrence of `from` in a source file (throws if not exactly one). */
  edit(rel: string, from: string, to: string): void;
  cleanup(): void;
}

/** Copies the spec sources of `from` (default: the repository) into a temp folder. */
export function specFixture(from: string = REPO): SpecFixture {
  const root = mkdtempSync(join(tmpdir(), "v2c-spec-"));
  for (const p of SPEC_PATHS) cpSync(join(from, p), join(root, p), { recursive: true });
  const fixture: SpecFixture = {
    root,
    out: join(root, "generated"),
    options: (extra = {}) => ({ ...defaultOptions(root), ...extra }),
    read: (rel) => readFileSync(join(root, rel), "utf8"),
    write: (rel, text) => writeFileSync(join(root, rel), text),
    edit: (rel, from, to) => {
      const text = fixture.read(rel);
      const count = text.split(from).length - 1;
      if (count !== 1) throw new Error(`expected one "${from}" in ${rel}, found ${count}`);
      fixture.write(rel, text.replace(from, to));
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  return fixture;
}

/** Runs the real CLI (`tsx generator/cli.ts`) as a process, the way `npm run generate` does. */
export function runCli(
  args: string[],
  cwd: string = REPO,
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      join(REPO, "node_modules", "tsx", "dist", "cli.mjs"),
      join(REPO, "generator", "cli.ts"),
      ...args,
    ],
    {
      cwd,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, SCARF_ANALYTICS: "false" },
    },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
