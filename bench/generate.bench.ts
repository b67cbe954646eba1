// Wall time of `npm run generate` and `--check` as a developer and CI pay it (through npm, as
// typed, and the node process alone).
// Run: npm run bench:generate [-- --runs N] [-- --no-readme]
//
// Every sample is the real command as a fresh process on a private "clone": a temp folder with
// the working tree's generator/ (without generator/dist), templates/, runtime/, spec sources and
// generated/ (as committed), and a node_modules/ of links to the installed packages WITHOUT
// node_modules/.cache — what `git clone && npm ci` leaves, once the clone has run what `npm ci`
// runs after installing: the `prepare` script (`node generator/launch.mjs --build`, measured as
// its own case). "Fresh clone" samples delete node_modules/.cache before each run (the step
// cache, the records-free state of a new checkout); one case also removes generator/dist (a
// clone whose `prepare` never ran); "edit" samples change one FMEA threshold to a value no
// earlier sample used, so neither the whole-run cache nor the FMEA validation cache can hit.
// Baselines (bare `node` and `tsx` startup) are measured in the same run, interleaved with the
// cases. Results go to stdout and, unless --no-readme, into README.md between the
// `bench:generate` markers.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  REPO,
  loadNow,
  machineLine,
  markdownTable,
  median,
  writeReadmeSection,
} from "../scripts/bench-readme.js";

const arg = (name: string) => process.argv.indexOf(name);
const RUNS = arg("--runs") > 0 ? Number(process.argv[arg("--runs") + 1]) : 5;
const WRITE_README = arg("--no-readme") < 0;
const load0 = loadNow();

// ---- the private clone -------------------------------------------------------------------
const clone = mkdtempSync(join(tmpdir(), "v2c-bench-clone-"));
const skip = new Set(["node_modules", "render", ".cache", "dist"]);
for (const p of [
  "generator",
  "templates",
  "package.json",
  ".prettierrc.json",
  "asyncapi.yaml",
  "proto",
  "fmea",
  "generated",
  "runtime", // the generator imports a few runtime/src modules
])
  cpSync(join(REPO, p), join(clone, p), {
    recursive: true,
    filter: (src) => !skip.has(src.split("/").pop()!),
  });
mkdirSync(join(clone, "node_modules"));
for (const e of readdirSync(join(REPO, "node_modules")))
  if (e !== ".cache") symlinkSync(join(REPO, "node_modules", e), join(clone, "node_modules", e));
const cacheDir = join(clone, "node_modules", ".cache");
const TSX = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");
const LAUNCH = join(clone, "generator", "launch.mjs");
/** npm's CLI (the one running this script, else the one beside node): the `npm run` cases. */
const NPM_CLI =
  process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)
    ? process.env.npm_execpath
    : join(process.execPath, "..", "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");
const NPM_RUN = [NPM_CLI, "run", "--silent", "generate"];
const empty = join(clone, "empty.ts");
writeFileSync(empty, "export {};\n");

/** GNU time, when installed, reports each sample's CPU time (user + system) besides wall. */
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** Wall and CPU milliseconds of one run of `node <args>` in the clone (CPU NaN without GNU time). */
function run(args: string[], expect?: RegExp): { wall: number; cpu: number } {
  const [cmd, argv] = GNU_TIME
    ? [GNU_TIME, ["-f", "v2c-bench-cpu %U %S", process.execPath, ...args]]
    : [process.execPath, args];
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, {
    cwd: clone,
    encoding: "utf8",
    env: { ...process.env, SCARF_ANALYTICS: "false" },
    timeout: 600_000,
  });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  if (expect && !expect.test(r.stdout))
    throw new Error(`${args.join(" ")}: expected ${expect} in its output, got: ${r.stdout}`);
  const m = /v2c-bench-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

// What `npm ci` runs after installing (the `prepare` script): the setup-time build.
run([LAUNCH, "--build"]);
// The clone's generated/ must match its sources (as a committed clone's does: CI checks it),
// so one run brings it in sync with the working tree; that state is what every sample starts from.
run([LAUNCH]);
const pristine = join(clone, ".pristine-generated");
cpSync(join(clone, "generated"), pristine, { recursive: true });
const fmeaPath = join(clone, "fmea", "failure-modes.yaml");
const fmeaText = readFileSync(fmeaPath, "utf8");
const restore = () => {
  writeFileSync(fmeaPath, fmeaText);
  rmSync(join(clone, "generated"), { recursive: true, force: true });
  cpSync(pristine, join(clone, "generated"), { recursive: true });
};

// One FMEA threshold, a new value each time (never a value an earlier sample used).
const thresholdMatch =
  /(threshold: )(\d+)( # chosen)/.exec(fmeaText) ?? /(threshold: )(\d+)()/.exec(fmeaText);
if (!thresholdMatch) throw new Error("no integer FMEA threshold to edit");
let edits = 0;
const editThreshold = () => {
  edits++;
  const [whole, pre, value, post] = thresholdMatch;
  writeFileSync(fmeaPath, fmeaText.replace(whole, `${pre}${Number(value) + edits}${post}`));
};
const freshCache = () => rmSync(cacheDir, { recursive: true, force: true });
const dist = join(clone, "generator", "dist");
const distAside = join(clone, ".dist-aside");

/** Every file identical to what is on disk: a no-change run must say so (else it measured something else). */
const UNCHANGED = /\(0 written, 0 removed, \d+ unchanged\)/;

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly before?: () => void;
  readonly after?: () => void;
  readonly expect?: RegExp;
}
const cases: Case[] = [
  { name: "`node` startup, empty script (baseline)", args: ["-e", ""] },
  { name: "`tsx` startup, empty script (baseline)", args: [TSX, empty] },
  {
    name: "setup-time build: `node generator/launch.mjs --build` (`npm ci` runs it as `prepare`)",
    args: [LAUNCH, "--build"],
    expect: /templates and \d+ schema sets precompiled/,
  },
  {
    name: "fresh clone: `node generator/launch.mjs` (what the script runs; nothing changed, cache empty)",
    args: [LAUNCH],
    before: () => {
      restore();
      freshCache();
    },
    expect: UNCHANGED,
  },
  {
    name: "fresh clone: `npm run generate` (nothing changed, cache empty)",
    args: NPM_RUN,
    before: () => {
      restore();
      freshCache();
    },
    expect: UNCHANGED,
  },
  {
    name: "fresh clone: `npm run generate -- --check` (cache empty)",
    args: [...NPM_RUN, "--", "--check"],
    before: () => {
      restore();
      freshCache();
    },
    expect: /is up to date/,
  },
  {
    name: "after editing one FMEA threshold (a new value each run): `npm run generate`",
    args: NPM_RUN,
    before: editThreshold,
    expect: /\([1-9]\d* written/,
  },
  {
    name: "fresh clone + one FMEA threshold edited (cache empty)",
    args: [LAUNCH],
    before: () => {
      freshCache();
      editThreshold();
    },
    expect: /\([1-9]\d* written/,
  },
  {
    name: "fresh clone without the setup-time build (no generator/dist, cache empty)",
    args: [LAUNCH],
    before: () => {
      restore();
      freshCache();
      renameSync(dist, distAside);
    },
    after: () => renameSync(distAside, dist),
    expect: UNCHANGED,
  },
  {
    name: "everything recomputed: `npm run generate -- --no-cache` (parser, prettier, ts-proto)",
    args: [LAUNCH, "--no-cache"],
    before: restore,
    expect: UNCHANGED,
  },
];

// Rounds: each round runs every case once, so slow drifts in machine load hit all cases alike.
const samples = cases.map(() => [] as number[]);
const cpuSamples = cases.map(() => [] as number[]);
for (let round = 0; round < RUNS; round++)
  cases.forEach((c, i) => {
    c.before?.();
    const { wall, cpu } = run(c.args, c.expect);
    c.after?.();
    samples[i]!.push(wall);
    cpuSamples[i]!.push(cpu);
  });
restore();
rmSync(clone, { recursive: true, force: true });

const base = median(samples[0]!);
const rows = cases.map((c, i) => {
  const s = samples[i]!;
  const m = median(s);
  const cpu = median(cpuSamples[i]!);
  return [
    c.name,
    m >= 1000 ? `${(m / 1000).toFixed(2)} s` : `${m.toFixed(0)} ms`,
    s.map((x) => x.toFixed(0)).join(", "),
    (m / base).toFixed(1),
    Number.isNaN(cpu) ? "n/a" : `${cpu.toFixed(0)} ms`,
  ];
});
const table = markdownTable(
  ["case", "median wall", "runs (ms)", "× node startup", "median CPU (user+sys)"],
  rows,
);
const command = `npm run bench:generate -- --runs ${RUNS}`;
const body = [
  `\`${command}\` — ${machineLine(load0)}. Median of ${RUNS} rounds; each sample is a fresh`,
  "process on a private clone (working tree sources, committed `generated/`, `node_modules/`",
  "without `.cache`, after the setup-time build that `npm ci` runs); cases interleave round by",
  "round; an edit case sets an FMEA threshold no earlier sample used (never a cache hit). CPU is",
  "the process's user + system time (all threads): on a loaded machine wall grows with the load,",
  "CPU much less.",
  "",
  table,
].join("\n");
console.log(body);
if (WRITE_README && !(await writeReadmeSection("generate", body)))
  console.error("README.md has no bench:generate markers; not written");
