import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
  readdirSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { GeneratedFile } from "../emit/types.js";
import { listTree } from "./tree.js";

/** What a write did. */
export interface WriteResult {
  readonly written: string[];
  readonly removed: string[];
  readonly unchanged: number;
}

/**
 * Writes generated files (only those whose bytes changed, each atomically via rename) and
 * removes files the generator no longer produces. Called only after generation succeeded,
 * so invalid input never leaves partial output.
 */
export function writeFiles(outDir: string, files: readonly GeneratedFile[]): WriteResult {
  const written: string[] = [];
  let unchanged = 0;
  for (const f of files) {
    const target = join(outDir, f.path);
    let current: string | undefined;
    try {
      current = readFileSync(target, "utf8");
    } catch {
      current = undefined;
    }
    if (current === f.content) {
      unchanged++;
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, f.content);
    renameSync(tmp, target);
    written.push(f.path);
  }
  const keep = new Set(files.map((f) => f.path));
  const removed = listTree(outDir).filter((p) => !keep.has(p));
  for (const p of removed) {
    rmSync(join(outDir, p));
    pruneEmptyDirs(outDir, dirname(join(outDir, p)));
  }
  return { written, removed, unchanged };
}

function pruneEmptyDirs(root: string, dir: string): void {
  while (dir.startsWith(root) && dir !== root) {
    if (readdirSync(dir).length > 0) return;
    rmdirSync(dir);
    dir = dirname(dir);
  }
}
