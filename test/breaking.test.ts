/**
 * The breaking-change gate (`npm run breaking`) on real git repositories in temp dirs: a copy of
 * the seed contract (asyncapi.yaml + proto/ + buf.yaml) committed as the base, then edited in
 * the working tree the way a contributor would.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { checkBreaking } from "../scripts/breaking.js";

const REPO = resolve(import.meta.dirname, "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function git(dir: string, ...args: string[]): void {
  const r = spawnSync(
    "git",
    ["-c", "user.email=ci@example.invalid", "-c", "user.name=ci", ...args],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

/** A git repo holding the seed contract as its only commit. */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "v2c-breaking-"));
  dirs.push(dir);
  cpSync(join(REPO, "proto"), join(dir, "proto"), { recursive: true });
  cpSync(join(REPO, "asyncapi.yaml"), join(dir, "asyncapi.yaml"));
  cpSync(join(REPO, "buf.yaml"), join(dir, "buf.yaml"));
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "base");
  return dir;
}

const TELEMETRY = "proto/v2c/telemetry/v1/telemetry.proto";

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, "utf8");
  const after = change(before);
  expect(after, `edit of ${file} changed nothing`).not.toBe(before);
  writeFileSync(path, after);
}

function editContract(dir: string, change: (doc: ReturnType<typeof parseDocument>) => void): void {
  edit(dir, "asyncapi.yaml", (text) => {
    const doc = parseDocument(text);
    change(doc);
    return doc.toString({ lineWidth: 0 });
  });
}

/** Bumps a message's `(v2c.options.v1.message)` schema_version by one (min_supported kept). */
function bumpSchemaVersion(text: string, message: string): string {
  const at = text.indexOf(`message ${message} {`);
  const m = /schema_version: (\d+)/.exec(text.slice(at));
  return text.slice(0, at) + text.slice(at).replace(m![0], `schema_version: ${Number(m![1]) + 1}`);
}

/** Ids of the operations whose channel is `channel`. */
function operationsOf(doc: ReturnType<typeof parseDocument>, channel: string): string[] {
  const ops = doc.toJS().operations as Record<string, { channel: { $ref: string } }>;
  return Object.entries(ops)
    .filter(([, op]) => op.channel.$ref === `#/channels/${channel}`)
    .map(([id]) => id);
}

const T = 120_000;

describe("npm run breaking: protos (buf breaking against the base revision)", () => {
  it(
    "rejects a renumbered field with buf's message",
    async () => {
      const dir = repo();
      edit(dir, TELEMETRY, (t) => t.replace(/float speed_kph = 1\b/, "float speed_kph = 8"));
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      expect(r.lines.join("\n")).toMatch(
        /proto\/v2c\/telemetry\/v1\/telemetry\.proto:\d+:\d+:Previously present field "1" with name "speed_kph" on message "Powertrain" was deleted\./,
      );
      expect(r.lines.join("\n")).toMatch(/no major info\.version bump/);
    },
    T,
  );

  it(
    "rejects a field type change",
    async () => {
      const dir = repo();
      edit(dir, TELEMETRY, (t) => t.replace(/uint32 engine_rpm = 2/, "int32 engine_rpm = 2"));
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      expect(r.lines.join("\n")).toMatch(
        /Field "2" with name "engine_rpm" on message "Powertrain" changed type from "uint32" to "int32"\./,
      );
    },
    T,
  );

  it(
    "accepts an additive optional field",
    async () => {
      const dir = repo();
      edit(dir, TELEMETRY, (t) =>
        t.replace(
          /message Powertrain \{\n/,
          "message Powertrain {\n  optional float oil_temp_c = 20;\n",
        ),
      );
      const r = await checkBreaking(dir, "HEAD");
      expect(r.lines).toContain("breaking: ok");
      expect(r.ok).toBe(true);
    },
    T,
  );

  it(
    "accepts a declared change: major info.version bump + schema_version bump keeping min_supported",
    async () => {
      const dir = repo();
      edit(dir, TELEMETRY, (t) =>
        bumpSchemaVersion(
          t.replace(/float speed_kph = 1\b/, "float speed_kph = 8"),
          "VehicleTelemetry",
        ),
      );
      editContract(dir, (doc) => doc.setIn(["info", "version"], "2.0.0"));
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok, r.lines.join("\n")).toBe(true);
      expect(r.lines.join("\n")).toMatch(/speed_kph.*— declared/);
    },
    T,
  );

  it(
    "still rejects a major bump whose payload kept its schema_version",
    async () => {
      const dir = repo();
      edit(dir, TELEMETRY, (t) => t.replace(/float speed_kph = 1\b/, "float speed_kph = 8"));
      editContract(dir, (doc) => doc.setIn(["info", "version"], "2.0.0"));
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      expect(r.lines.join("\n")).toMatch(/VehicleTelemetry schema_version not bumped/);
    },
    T,
  );
});

describe("npm run breaking: the AsyncAPI contract against the base revision", () => {
  it(
    "rejects a removed channel (and its operations)",
    async () => {
      const dir = repo();
      editContract(dir, (doc) => {
        for (const op of operationsOf(doc, "telemetryBatch")) doc.deleteIn(["operations", op]);
        doc.deleteIn(["channels", "telemetryBatch"]);
      });
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      expect(r.lines.join("\n")).toMatch(
        /channel telemetryBatch removed — breaking: no major info\.version bump/,
      );
      expect(r.lines.join("\n")).toMatch(/operation \w+ removed/);
    },
    T,
  );

  it(
    "rejects a changed topic address",
    async () => {
      const dir = repo();
      editContract(dir, (doc) =>
        doc.setIn(
          ["channels", "vehicleTelemetry", "address"],
          "v2c/v2/{region}/{vehicle_id}/telemetry/vehicle",
        ),
      );
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      expect(r.lines.join("\n")).toMatch(
        /channel vehicleTelemetry address changed from v2c\/v1\/.* to v2c\/v2\//,
      );
    },
    T,
  );

  it(
    "rejects a lowered QoS and a payload switched to another proto message",
    async () => {
      const dir = repo();
      editContract(dir, (doc) => {
        const [op] = operationsOf(doc, "vehicleTelemetry");
        doc.setIn(["operations", op!, "bindings", "mqtt", "qos"], 0);
        doc.setIn(
          ["components", "messages", "VehicleTelemetry", "x-protobuf", "message"],
          "v2c.telemetry.v2.VehicleTelemetry",
        );
      });
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok).toBe(false);
      const text = r.lines.join("\n");
      expect(text).toMatch(/QoS lowered from 1 to 0/);
      expect(text).toMatch(
        /payload switched from v2c\.telemetry\.v1\.VehicleTelemetry to v2c\.telemetry\.v2\.VehicleTelemetry/,
      );
    },
    T,
  );

  it(
    "accepts a removed channel under a major info.version bump",
    async () => {
      const dir = repo();
      editContract(dir, (doc) => {
        for (const op of operationsOf(doc, "telemetryBatch")) doc.deleteIn(["operations", op]);
        doc.deleteIn(["channels", "telemetryBatch"]);
        doc.setIn(["info", "version"], "2.0.0");
      });
      const r = await checkBreaking(dir, "HEAD");
      expect(r.ok, r.lines.join("\n")).toBe(true);
      expect(r.lines.join("\n")).toMatch(/channel telemetryBatch removed — declared/);
    },
    T,
  );
});

describe("npm run breaking: without a base revision", () => {
  it("passes with a notice in a clone whose only commit is HEAD", async () => {
    const dir = repo();
    const r = await checkBreaking(dir);
    expect(r.ok).toBe(true);
    expect(r.lines.join("\n")).toMatch(/notice: no base revision in this clone/);
  });

  it("passes with a notice when the named base is not in the clone", async () => {
    const dir = repo();
    const r = await checkBreaking(dir, "0123456789abcdef0123456789abcdef01234567");
    expect(r.ok).toBe(true);
    expect(r.lines.join("\n")).toMatch(
      /notice: base revision 0123456789abcdef.* is not in this clone/,
    );
  });
});
