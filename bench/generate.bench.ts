// Wall time of `npm run generate` and `npm run generate -- --check` on the seed spec.
// Run: npm run bench:generate [-- --runs N]
// Each figure is the median of N runs of the real CLI as a fresh process (what a developer and
// CI pay). Baselines measured in the same run: bare `node` startup and `tsx` startup with an
// empty script, so the ratios show what the generator itself adds.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const TSX = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");
const CLI = join(REPO, "generator", "cli.ts");

function time(args: string[], cwd: string, before?: () => void): number {
  before?.();
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, SCARF_ANALYTICS: "false" },
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// A private copy of the spec so the benchmark never touches the repository's generated/.
const root = mkdtempSync(join(tmpdir(), "v2c-bench-"));
for (const p of ["asyncapi.yaml", "proto", "fmea"])
  cpSync(join(REPO, p), join(root, p), { recursive: true });
const empty = join(root, "empty.ts");
writeFileSync(empty, "export {};\n");

// A developer's loop: one FMEA threshold edited between runs, so the whole-run cache misses
// while the step caches (AsyncAPI parser, ts-proto, prettier per unchanged file) still hit.
const fmeaPath = join(root, "fmea", "failure-modes.yaml");
const fmeaText = readFileSync(fmeaPath, "utf8");
let edits = 0;
const editThreshold = () =>
  writeFileSync(
    fmeaPath,
    fmeaText.replace("threshold: 80 # chosen", `threshold: ${81 + (edits++ % 10)} # chosen`),
  );
const restore = () => writeFileSync(fmeaPath, fmeaText);

const cases: [string, string[], (() => void)?][] = [
  ["node startup (baseline)", ["-e", ""]],
  ["tsx startup (baseline)", [TSX, empty]],
  ["generate, cold (--no-cache)", [TSX, CLI, "--root", root, "--no-cache"]],
  ["generate after an FMEA edit", [TSX, CLI, "--root", root], editThreshold],
  ["generate, warm cache", [TSX, CLI, "--root", root], restore],
  ["generate --check, warm cache", [TSX, CLI, "--root", root, "--check"]],
];
time([TSX, CLI, "--root", root], root); // first run fills the cache and writes generated/

const results = cases.map(([name, args, before]) => {
  const samples = Array.from({ length: RUNS }, () => time(args, root, before));
  return { name, median: median(samples), min: Math.min(...samples) };
});
rmSync(root, { recursive: true, force: true });

const tsxBase = results[1]!.median;
console.log(
  `runs per case: ${RUNS}; node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  "case".padEnd(32),
  "median ms".padStart(10),
  "min ms".padStart(8),
  "x tsx startup".padStart(14),
);
for (const r of results) {
  console.log(
    r.name.padEnd(32),
    r.median.toFixed(0).padStart(10),
    r.min.toFixed(0).padStart(8),
    (r.median / tsxBase).toFixed(2).padStart(14),
  );
}
