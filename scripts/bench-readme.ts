import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";

/** The repository root. */
export const REPO = resolve(import.meta.dirname, "..");

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A markdown table with right-aligned numeric columns (every column after the first). */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** One line naming the machine and its load when the run started (the figures depend on both). */
export function machineLine(loadAtStart: readonly number[]): string {
  return (
    `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores ` +
    `(${cpus()[0]?.model.trim() ?? "unknown CPU"}), load average ${loadAtStart
      .map((l) => l.toFixed(1))
      .join(" / ")} (1/5/15 min) at the start`
  );
}

/** The load average now (pass it to machineLine at the end). */
export function loadNow(): number[] {
  return loadavg();
}

/**
 * Replaces the text between `<!-- bench:<name>:begin -->` and `<!-- bench:<name>:end -->` in
 * README.md with `body` (the results of the run that just finished and the command that produced
 * them), so the README's tables cannot drift from what a script measured. The file is then run
 * through prettier (the repository's lint checks it). Returns false (and writes nothing) when the
 * markers are missing.
 */
export async function writeReadmeSection(
  name: string,
  body: string,
  file = resolve(REPO, "README.md"),
): Promise<boolean> {
  const text = readFileSync(file, "utf8");
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return false;
  const replaced = `${text.slice(0, i + begin.length)}\n<!-- written by the benchmark script; do not edit by hand -->\n\n${body.trim()}\n\n${text.slice(j)}`;
  const prettier = await import("prettier");
  const config = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(replaced, { ...config, filepath: file }));
  return true;
}
