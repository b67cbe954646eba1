import { readdirSync } from "node:fs";
import { join } from "node:path";
import { defaultOptions, type GeneratorOptions } from "../../generator/options.js";
import { REPO } from "../support/spec-fixture.js";

/** Folder of golden cases: each `<name>/input` holds spec sources, `<name>/expected` the output. */
export const CASES_DIR = join(REPO, "test", "cases");

/** Names of the golden cases, sorted. */
export function goldenCases(): string[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Generator options that read a case's input and write to its expected folder. */
export function caseOptions(name: string): GeneratorOptions {
  const input = join(CASES_DIR, name, "input");
  return { ...defaultOptions(input), out: join(CASES_DIR, name, "expected") };
}
