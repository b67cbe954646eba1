// The packages as a user consumes them: `npm pack` every package (runtime and generated), install
// the tarballs into a fresh project outside the workspace (offline, from the npm cache), then
// with plain node run a vehicle app against a real Mosquitto and a service that invokes a
// record handler on the local adapters, and type-check a consumer file with strict,
// exactOptionalPropertyTypes and NodeNext resolution.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMosquitto, type MosquittoBroker } from "../../runtime/test/support/mosquitto.js";
import { operationsOf } from "../bundles-support/payloads.js";
import { REPO } from "../support/spec-fixture.js";
import ts from "typescript";
import { readmeBlocks, type ReadmeBlock } from "./readme-blocks.js";

const APP = join(REPO, "test", "consumer", "app");

/** How a consumer compiles: strict, exact optional properties, NodeNext (ESM) resolution. */
const CONSUMER_COMPILER_OPTIONS = {
  strict: true,
  exactOptionalPropertyTypes: true,
  module: "NodeNext",
  moduleResolution: "NodeNext",
  target: "ES2022",
  noEmit: true,
  types: ["node"],
  skipLibCheck: false,
};
const STEP_TIMEOUT_MS = 120_000;

/** Package folders that build to dist/ (the runtime and every generated package). */
function packageDirs(): string[] {
  const generated = readdirSync(join(REPO, "generated"))
    .map((d) => join(REPO, "generated", d))
    .filter((d) => existsSync(join(d, "tsconfig.build.json")));
  return [join(REPO, "runtime"), ...generated];
}

/** The environment of a consumer process: no repository condition, no workspace. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.npm_config_workspace;
  return {
    ...env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
}

function run(cmd: string, args: string[], cwd: string, timeout = STEP_TIMEOUT_MS) {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`,
    );
  }
  return r.stdout;
}

let dir: string;
let project: string;
let tarballs: Record<string, string>;
let broker: MosquittoBroker;
let readmeRuns: ReadmeRun[] = [];
const unmarkedBlocks: string[] = [];

/** One README block to run: its file under `<project>/readme/`, the block, its package. */
interface ReadmeRun {
  readonly file: string;
  readonly block: ReadmeBlock;
  readonly pkg: string;
}

beforeAll(async () => {
  const missing = packageDirs().filter((d) => !existsSync(join(d, "dist")));
  if (missing.length > 0)
    run(process.execPath, [join(REPO, "scripts", "build.mjs")], REPO, 600_000);
  dir = mkdtempSync(join(tmpdir(), "v2c-consumer-"));
  const packs = join(dir, "packs");
  mkdirSync(packs);
  tarballs = {};
  for (const d of packageDirs()) {
    const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packs], d)) as {
      name: string;
      filename: string;
    }[];
    tarballs[out[0]!.name] = join(packs, out[0]!.filename);
  }
  project = join(dir, "project");
  cpSync(APP, project, { recursive: true });
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`,
  );
  // The vehicle and the cloud packages, and Node types for the type check (tsc: the repository's). Install scripts are
  // off (offline: better-sqlite3 would download a prebuilt binary); its compiled addon is copied
  // from this repository's install below, which is what its install script would produce.
  const wanted = ["@v2c/runtime", "@v2c/spec", "@v2c/ecu-client", "@v2c/handlers", "@v2c/commands"];
  const pkgVersion = (name: string) =>
    (
      JSON.parse(readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--ignore-scripts",
      "--no-package-lock",
      ...wanted.map((n) => tarballs[n]!),
      `@types/node@${pkgVersion("@types/node")}`,
    ],
    project,
    300_000,
  );
  cpSync(
    join(REPO, "node_modules", "better-sqlite3", "build"),
    join(project, "node_modules", "better-sqlite3", "build"),
    { recursive: true },
  );
  readmeRuns = writeReadmeBlocks();
  broker = await startMosquitto();
}, 900_000);

/**
 * Every packed package's README as published (read out of its tarball): its ts/js blocks are
 * written to `<project>/readme/` (type-checked with the consumer file, then run).
 */
function writeReadmeBlocks(): ReadmeRun[] {
  const blocksDir = join(project, "readme");
  mkdirSync(blocksDir, { recursive: true });
  const runs: ReadmeRun[] = [];
  for (const [name, tarball] of Object.entries(tarballs)) {
    const pkg = name.split("/")[1]!;
    const { runnable, unmarked } = readmeBlocks(
      run("tar", ["-xzOf", tarball, "package/README.md"], dir),
    );
    unmarkedBlocks.push(...unmarked.map((u) => `${name}: ${u}`));
    for (const block of runnable) {
      const file = `${pkg}-${block.name}.${block.lang}`;
      writeFileSync(join(blocksDir, file), block.code);
      runs.push({ file, block, pkg: name });
    }
  }
  return runs;
}

afterAll(async () => {
  await broker?.stop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("packages installed from their tarballs into a fresh project", () => {
  it("ships only dist, README and package.json (no sources, tests or tsconfig)", () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = run("tar", ["-tzf", tarball], dir).split("\n").filter(Boolean);
      expect(files, name).toContain("package/README.md");
      for (const f of files)
        expect(f, name).toMatch(/^package\/(dist\/|README\.md$|package\.json$)/);
    }
  });

  it("installs the vehicle without the AWS SDK or Powertools", () => {
    // The install closure of @v2c/ecu-client: dependencies and required peers, transitively.
    const manifest = (name: string) =>
      JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
    const closure = new Set<string>();
    const visit = (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      const m = manifest(name);
      const peers = Object.keys(m.peerDependencies ?? {}).filter(
        (p) => !m.peerDependenciesMeta?.[p]?.optional,
      );
      for (const d of [...Object.keys(m.dependencies ?? {}), ...peers]) visit(d);
    };
    visit("@v2c/ecu-client");
    expect(closure).toContain("mqtt");
    expect([...closure].filter((d) => /^@aws-sdk\/|powertools/.test(d))).toEqual([]);
  });

  it("a vehicle app connects to Mosquitto, publishes one message and sees it acknowledged", () => {
    const out = run(
      process.execPath,
      [
        "vehicle-app.mjs",
        broker.url,
        "production-us-east-1",
        "VIN-1HGBH41JXMN109186",
        JSON.stringify({ region: "us-east-1" }),
      ],
      project,
      30_000,
    );
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({ status: "acked" });
  });

  it("a service invokes a record handler on the local adapters", async () => {
    const { harness } = (await import("../../generated/handlers/test/fmea/harness.js")) as {
      harness: Parameters<typeof operationsOf>[0];
    };
    const op = operationsOf(harness).find((o) => o.kind === "record")!;
    const event = {
      payload: Buffer.from(op.record(Date.now() - 60_000).bytes).toString("base64"),
      topic: op.topic,
      clientId: op.vehicleId,
      receivedAt: Date.now(),
    };
    const out = run(
      process.execPath,
      ["service-app.mjs", op.operation, JSON.stringify(event)],
      project,
      30_000,
    );
    const { first, again } = JSON.parse(out.trim().split("\n").at(-1)!) as Record<
      string,
      Record<string, number>
    >;
    expect(first).toMatchObject({ stored: 1, deadLettered: 0 });
    expect(again).toMatchObject({ stored: 0, duplicates: 1 });
  });

  it("runs every TypeScript/JS block of every package README with plain node", () => {
    // No block a reader could copy goes unrun.
    expect(unmarkedBlocks, "ts/js README blocks without an example marker").toEqual([]);
    const installed = new Set(
      readdirSync(join(project, "node_modules", "@v2c")).map((d) => `@v2c/${d}`),
    );
    // Every package whose README shows code: the vehicle client and the cloud commands.
    expect(new Set(readmeRuns.map((r) => r.pkg))).toEqual(
      new Set(["@v2c/commands", "@v2c/ecu-client"]),
    );
    for (const { file, block, pkg } of readmeRuns) {
      expect(installed, `${pkg} has README examples`).toContain(pkg);
      // TypeScript blocks: stripped of types here, type-checked with the consumer file below.
      const source = readFileSync(join(project, "readme", file), "utf8");
      const js =
        block.lang === "ts"
          ? ts.transpileModule(source, {
              compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
            }).outputText
          : source;
      const cwd = mkdtempSync(join(project, "readme-run-"));
      writeFileSync(join(cwd, "example.mjs"), js);
      const r = spawnSync(process.execPath, ["example.mjs"], {
        cwd,
        env: { ...cleanEnv(), V2C_BROKER_URL: broker.url },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status, `${pkg} README block ${block.name}: ${r.stderr}`).toBe(0);
      if (block.prints)
        expect(r.stdout.trim().split("\n").at(-1), `${pkg} ${block.name}`).toBe(block.prints);
    }
    // The vehicle example publishes after whenReady, so the broker acknowledges it.
    expect(readmeRuns.find((r) => r.block.name === "vehicle-publish")?.block.prints).toBe("acked");
  });

  it("type-checks a consumer and the README's TypeScript blocks with strict, exactOptionalPropertyTypes and NodeNext", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: CONSUMER_COMPILER_OPTIONS,
        include: ["typecheck.ts", "readme/*.ts"],
      }),
    );
    run(
      process.execPath,
      [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
      project,
      300_000,
    );
  }, 330_000);
});
