import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASES_DIR } from "./golden/cases.js";
import {
  generatedContract,
  generatedTestFiles,
  generateWorkspace,
  removeWorkspace,
  runTestsTogether,
  typecheckTogether,
  type GeneratedWorkspace,
  type TestFileResult,
  type TypecheckResult,
} from "./support/generated-workspace.js";

// The second contract (test/cases/ev-charging): not only its expected text (golden.test.ts) but
// its generated packages, as a user gets them: generated into a workspace of their own, each
// package typechecked with its own tsconfig, and every generated test run with vitest.
const CASE = "ev-charging";
const INPUT = join(CASES_DIR, CASE, "input");

/** The packages a spec with handled send operations and a receive operation must produce. */
// `commands` is the cloud-side typed publisher / request call of the receive operation.
const PACKAGES = ["spec", "ecu-client", "commands", "handlers", "infra", "local"] as const;

/**
 * Instance names of the telemetry seed. None may appear in this contract's output: if one does,
 * the generator took it from its own code or templates instead of from the spec.
 */
const SEED_NAMES = [
  "vehicle_id",
  "VehicleTelemetry",
  "TelemetryBatch",
  "VehicleCommand",
  "batch_id",
  "records_crc32",
  "us-east-1",
  "eu-west-1",
  "V2C/Telemetry",
  "telemetry-processor",
  "batch-processor",
  "dlq-replay-handler",
  "telemetry.messages.received",
  "dynamodb.throttled_requests",
  "PROTOBUF_PARSE",
  "DYNAMODB_THROTTLED",
  "TIMESTREAM_UNAVAILABLE",
  "publishTelemetry",
  "publishBatchTelemetry",
  "receiveCommand",
];

let ws: GeneratedWorkspace | undefined;

function workspace(): GeneratedWorkspace {
  if (!ws) throw new Error("the workspace was not generated (see the first test)");
  return ws;
}

function generatedText(): string {
  return workspace()
    .result.files.map((f) => `${f.path}\n${f.content}`)
    .join("\n");
}

describe(`golden case ${CASE}: its generated packages typecheck and their tests pass`, () => {
  let internalError: unknown;
  let tsc: TypecheckResult | undefined;
  let tests: Map<string, TestFileResult> | undefined;
  let testOutput = "";
  beforeAll(async () => {
    try {
      ws = await generateWorkspace(CASE, INPUT);
    } catch (e) {
      internalError = e;
    }
    if (!ws?.result.ok) return;
    const present = PACKAGES.filter((p) => ws!.packages.has(p));
    // One tsc program over every package, one vitest process over every generated test.
    tsc = await typecheckTogether(
      present.map((pkg) => ({ ws: ws!, pkg })),
      CASE,
    );
    const files = present.flatMap((p) => generatedTestFiles(ws!, p));
    const r = await runTestsTogether(
      files.map((file) => ({ ws: ws!, file })),
      CASE,
    );
    tests = r.files;
    testOutput = r.output;
  }, 900_000);
  afterAll(() => removeWorkspace(ws));

  it("generates with no error diagnostic and no internal error", () => {
    expect(internalError, String((internalError as Error | undefined)?.stack)).toBeUndefined();
    const w = workspace();
    expect(w.messages.filter((m) => m.includes(": error: "))).toEqual([]);
    expect(w.result.ok).toBe(true);
  });

  it("writes the packages its operations need", () => {
    expect([...workspace().packages.keys()].sort()).toEqual(expect.arrayContaining([...PACKAGES]));
    for (const pkg of workspace().packages.values()) expect(pkg).toMatch(/^@evc\//);
  });

  it("carries none of the seed's instance names", () => {
    expect(workspace().result.files.length).toBeGreaterThan(0);
    const text = generatedText();
    // Whole names only (the generator's own `VehicleCommands` class is not the seed's message).
    const found = (n: string) =>
      new RegExp(`(^|[^\\w-])${n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![\\w])`).test(text);
    expect(SEED_NAMES.filter(found)).toEqual([]);
  });

  it("names its own handlers, metrics, reasons and parameters", () => {
    const text = generatedText();
    for (const name of [
      "status-ingest",
      "session-ledger",
      "dead-letter-redrive",
      "EVC/Charging",
      "evc.ingest.received",
      "LEDGER_THROTTLED",
      "HISTORY_UNAVAILABLE",
      "{vin}",
      "request_ref",
      "streamChargeStatus",
      "reportSession",
      "handleChargeRequest",
    ])
      expect(text, name).toContain(name);
  });

  it("the generated contract keeps QoS 0, the reply pair and the declared envelope", async () => {
    // Read through the generated spec package itself (structure, not text).
    const contract = await generatedContract(workspace());
    const ops = contract.operations;
    expect(ops.streamChargeStatus).toMatchObject({ action: "send", qos: 0, offline: "drop" });
    expect(ops.reportSession).toMatchObject({ action: "send", qos: 1, offline: "queue" });
    expect(ops.handleChargeRequest).toMatchObject({
      action: "receive",
      reply: { channelId: "chargeControlAck", messageId: "ChargeResponse" },
    });
    for (const op of Object.values(ops)) expect(op).not.toHaveProperty("batch");
    const handled = Object.values(ops).filter((o) => o.handler !== undefined);
    expect(handled.map((o) => (o.handler as { name: string }).name).sort()).toEqual([
      "session-ledger",
      "status-ingest",
    ]);
    const env = (m: string, role: string) => contract.messages[m]?.envelope?.[role]?.field;
    expect(env("ChargeRequest", "correlationId")).toBe("request_id");
    expect(env("ChargeResponse", "correlationId")).toBe("request_ref");
    expect(env("SessionSummary", "messageId")).toBe("session_id");
    expect(env("ChargeStatus", "vehicleId")).toBe("vehicle_vin");
  });

  it("has one generated test (or it.todo) per failure mode of its own", () => {
    const fmea = readFileSync(join(INPUT, "fmea", "failure-modes.yaml"), "utf8");
    const ids = [...fmea.matchAll(/^ {2}- id: (FM-\d+)$/gm)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(6);
    const tests = PACKAGES.flatMap((p) => generatedTestFiles(workspace(), p));
    for (const id of ids)
      expect(
        tests.filter((t) => t.includes(id)),
        id,
      ).not.toEqual([]);
  });

  it.each(PACKAGES)("generated/%s typechecks", (pkg) => {
    expect(tsc, "tsc did not run").toBeDefined();
    expect(tsc!.errorsIn(workspace(), pkg)).toEqual([]);
    expect(tsc!.output).not.toMatch(/killed after/);
  });

  it.each(PACKAGES)("the generated tests of generated/%s run and pass", (pkg) => {
    const files = generatedTestFiles(workspace(), pkg);
    expect(tests, testOutput.slice(-3000)).toBeDefined();
    for (const file of files) {
      const r = tests!.get(`${workspace().dir}/${file}`);
      expect(r, `${file} did not run:\n${testOutput.slice(-3000)}`).toBeDefined();
      expect(r!.failures, file).toEqual([]);
      expect(r!.status, file).not.toBe("failed");
    }
  });
});
