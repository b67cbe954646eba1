import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { GeneratedFile } from "../emit/types.js";
import { listTree } from "./tree.js";

/** `diff` is loaded only when a file differs (a clean `--check` never needs it). */
const requireHere = createRequire(import.meta.url);
const createTwoFilesPatch = (
  oldName: string,
  newName: string,
  oldText: string,
  newText: string,
  oldHeader: string,
  newHeader: string,
  options: { context: number },
): string =>
  (requireHere("diff") as typeof import("diff")).createTwoFilesPatch(
    oldName,
    newName,
    oldText,
    newText,
    oldHeader,
    newHeader,
    options,
  );

/** The difference between what the generator would write and what is on disk. */
export interface Drift {
  readonly changed: { path: string; diff: string }[];
  readonly missing: string[];
  readonly orphaned: string[];
}

/** Compares generated files with the output folder without writing anything. */
export function computeDrift(outDir: string, files: readonly GeneratedFile[]): Drift {
  const expected = new Map(files.map((f) => [f.path, f.content]));
  const changed: Drift["changed"] = [];
  const missing: string[] = [];
  for (const [path, content] of expected) {
    let actual: string;
    try {
      actual = readFileSync(join(outDir, path), "utf8");
    } catch {
      missing.push(path);
      continue;
    }
    if (actual !== content) {
      changed.push({
        path,
        diff: createTwoFilesPatch(
          `a/${path}`,
          `b/${path}`,
          actual,
          content,
          "on disk",
          "generated",
          { context: 3 },
        ),
      });
    }
  }
  const orphaned = listTree(outDir).filter((p) => !expected.has(p));
  return { changed, missing: missing.sort(), orphaned };
}

/** True when nothing differs. */
export function isClean(drift: Drift): boolean {
  return drift.changed.length === 0 && drift.missing.length === 0 && drift.orphaned.length === 0;
}

/** A human report: one line per file, then the unified diffs, then the command that fixes it. */
export function formatDrift(drift: Drift, outLabel: string, fixCommand: string): string {
  const lines: string[] = [`${outLabel} is out of sync with the spec sources:`];
  for (const c of drift.changed) lines.push(`  changed:  ${outLabel}/${c.path}`);
  for (const m of drift.missing) lines.push(`  missing:  ${outLabel}/${m}`);
  for (const o of drift.orphaned)
    lines.push(`  orphaned: ${outLabel}/${o} (not produced by the generator)`);
  for (const c of drift.changed) lines.push("", c.diff.trimEnd());
  lines.push("", `Run \`${fixCommand}\` to update ${outLabel}/ and commit the result.`);
  return lines.join("\n");
}
