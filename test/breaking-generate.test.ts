/**
 * `npm run generate` warns when a payload changed incompatibly on the wire without a
 * schema_version bump: the generator keeps a wire snapshot in generated/ and compares the protos
 * with the one the previous run left there (the renumbered speed_kph / retyped engine_rpm case).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StepCache } from "../generator/cache.js";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { readAsyncApi } from "../generator/load/asyncapi.js";
import { loadFmea } from "../generator/load/fmea.js";
import { loadProto } from "../generator/load/proto.js";
import { checkSchemaEvolution, SNAPSHOT_PATH } from "../generator/load/schema-snapshot.js";
import { buildModel } from "../generator/model/build.js";

const REPO = resolve(import.meta.dirname, "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** One generate run's model stage + the snapshot check; writes the snapshot like the CLI. */
async function run(root: string) {
  const bag = new DiagnosticBag();
  const proto = (await loadProto(root, bag))!;
  const model = buildModel(
    readAsyncApi(root, bag)!,
    proto,
    await loadFmea(root, bag, new StepCache(undefined)),
    bag,
  )!;
  expect(bag.sorted().filter((d) => d.severity === "error")).toEqual([]);
  const out = join(root, "generated");
  const before = bag.sorted().length;
  const file = checkSchemaEvolution(out, proto, model, bag);
  mkdirSync(join(out, "spec"), { recursive: true });
  writeFileSync(join(out, file.path), file.content);
  return bag
    .sorted()
    .slice(before)
    .filter((d) => d.code === "proto/incompatible-change");
}

const TELEMETRY = "proto/v2c/telemetry/v1/telemetry.proto";
const edit = (root: string, f: (t: string) => string) =>
  writeFileSync(join(root, TELEMETRY), f(readFileSync(join(root, TELEMETRY), "utf8")));

describe("generate: wire snapshot of the payloads", () => {
  it("warns at the payload message when a field is renumbered or retyped without a schema_version bump", async () => {
    const root = mkdtempSync(join(tmpdir(), "v2c-evolve-"));
    dirs.push(root);
    for (const p of ["asyncapi.yaml", "proto", "fmea"])
      cpSync(join(REPO, p), join(root, p), { recursive: true });

    expect(await run(root)).toEqual([]); // first run: no snapshot yet
    expect(JSON.parse(readFileSync(join(root, "generated", SNAPSHOT_PATH), "utf8"))).toHaveProperty(
      ["v2c.telemetry.v1.VehicleTelemetry", "schemaVersion"],
    );
    expect(await run(root)).toEqual([]); // unchanged protos

    edit(root, (t) =>
      t
        .replace(/float speed_kph = 1\b/, "float speed_kph = 8")
        .replace(
          /uint32 engine_rpm = 2 \[(\s+)\(buf\.validate\.field\)\.uint32/,
          "int32 engine_rpm = 2 [$1(buf.validate.field).int32",
        ),
    );
    const [w, ...rest] = await run(root);
    expect(rest.filter((d) => d.message.includes("VehicleTelemetry"))).toEqual([]);
    expect(w!.severity).toBe("warning");
    expect(w!.file).toBe(TELEMETRY);
    expect(w!.line).toBeGreaterThan(0);
    expect(w!.message).toMatch(
      /v2c\.telemetry\.v1\.Powertrain field 1 "speed_kph scalar 2" removed/,
    );
    expect(w!.message).toMatch(
      /field 2 changed from "engine_rpm scalar 13" to "engine_rpm scalar 5"/,
    );
    expect(w!.message).toMatch(/schema_version stays 1/);
  }, 120_000);

  it("does not warn once the payload's schema_version is bumped", async () => {
    const root = mkdtempSync(join(tmpdir(), "v2c-evolve-"));
    dirs.push(root);
    for (const p of ["asyncapi.yaml", "proto", "fmea"])
      cpSync(join(REPO, p), join(root, p), { recursive: true });
    await run(root);
    edit(root, (t) => {
      const renumbered = t.replace(/float speed_kph = 1\b/, "float speed_kph = 8");
      const at = renumbered.indexOf("message VehicleTelemetry {");
      return (
        renumbered.slice(0, at) +
        renumbered.slice(at).replace(/schema_version: 1\b/, "schema_version: 2")
      );
    });
    expect(await run(root)).toEqual([]);
  }, 120_000);
});
