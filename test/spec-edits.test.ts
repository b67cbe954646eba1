import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNALS } from "../generator/model/vocabulary.js";
import {
  generatedTestFiles,
  generateWorkspace,
  removeWorkspace,
  runGeneratedTests,
  typecheckPackage,
  type GeneratedWorkspace,
} from "./support/generated-workspace.js";
import {
  addHandledChannel,
  appendFailureMode,
  lastSignalLine,
  recordOperation,
  removeBatchOperation,
  renameVehicleParameter,
  setQos,
} from "./support/seed-edits.js";
import { runCli, specFixture, type SpecFixture } from "./support/spec-fixture.js";

// Spec edits a user makes to the seed, each on its own copy: the edited spec must generate,
// the packages the edit touches must typecheck, and their generated tests must pass. Only the
// affected packages are checked, to keep the cost of this file near two minutes.

const TSC_TIMEOUT = 170_000;
const VITEST_TIMEOUT = 240_000;

/** A new failure mode bound only by vocabulary: a known signal on a participant of its kind. */
const NEW_ROW = {
  id: "FM-24",
  name: "Time-Series Store Request Timeout",
  phase: "individual-telemetry",
  component: "timestream",
  owner: "handlers",
  severity: "MEDIUM",
  probability: { band: "LOW", rate: 0.0005 },
  mtbf: "14d",
  mttr: "10m",
  impact: "Time-series writes delayed; failed records dead-lettered",
  detection: {
    description: "Request timeout on the time-series store",
    signal: "timeout",
    alarm: {
      metric: "dlq.message_count",
      dimensions: { reason: "TIMESERIES_TIMEOUT" },
      statistic: "Sum",
      comparison: "GreaterThanThreshold",
      threshold: 10,
      period: "5m",
      "evaluation-periods": 1,
      "datapoints-to-alarm": 1,
    },
  },
  mitigation: {
    description: "Bounded timeouts, retry, then the DLQ",
    policy: {
      timeouts: { connect: "1s", request: "3s" },
      dlq: { reason: "TIMESERIES_TIMEOUT" },
    },
    uses: ["fmea:FM-08/retry"],
  },
  recovery: { mode: "automated", description: "Retried, then dead-lettered for replay" },
  notify: "engineering",
  response: ["Check the time-series store's latency, then replay TIMESERIES_TIMEOUT entries"],
};

interface EditCase {
  fx: SpecFixture;
  ws?: GeneratedWorkspace;
  internal?: unknown;
}

/** Copies the seed, applies `edit`, generates into a workspace; cleans up after the block. */
function editedSeed(name: string, edit: (fx: SpecFixture) => void): EditCase {
  const c = {} as EditCase;
  beforeAll(async () => {
    c.fx = specFixture();
    edit(c.fx);
    try {
      c.ws = await generateWorkspace(`edit-${name}`, c.fx.root);
    } catch (e) {
      c.internal = e;
    }
  }, 180_000);
  afterAll(() => {
    removeWorkspace(c.ws);
    c.fx?.cleanup();
  });
  return c;
}

function generated(c: EditCase): GeneratedWorkspace {
  expect(c.internal, String((c.internal as Error | undefined)?.stack)).toBeUndefined();
  expect(c.ws!.messages.filter((m) => m.includes(": error: "))).toEqual([]);
  expect(c.ws!.result.ok).toBe(true);
  return c.ws!;
}

function text(ws: GeneratedWorkspace, prefix: string): string {
  return ws.result.files
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => f.content)
    .join("\n");
}

async function expectTypechecks(ws: GeneratedWorkspace, pkg: string): Promise<void> {
  const r = await typecheckPackage(ws, pkg, TSC_TIMEOUT);
  expect(r.output, `generated/${pkg}`).toBe("");
  expect(r.code).toBe(0);
}

async function expectTestsPass(ws: GeneratedWorkspace, filters: string[]): Promise<void> {
  const r = await runGeneratedTests(ws, filters, VITEST_TIMEOUT);
  expect(r.output).toMatch(/Test Files\s+\d+ passed/);
  expect(r.code, r.output.slice(-6000)).toBe(0);
}

describe("spec edit: add a failure mode with a known signal", () => {
  const c = editedSeed("add-row", (fx) => appendFailureMode(fx, NEW_ROW));

  it("generates a test for the new row and an alarm for it", () => {
    const ws = generated(c);
    const tests = generatedTestFiles(ws, "handlers").filter((f) => f.includes("FM-24"));
    expect(tests).toHaveLength(1);
    expect(text(ws, "infra/")).toContain("FM-24");
    expect(text(ws, "docs/")).toContain("FM-24");
  });

  it("generated/handlers typechecks", () => expectTypechecks(generated(c), "handlers"), 180_000);
  it("generated/infra typechecks", () => expectTypechecks(generated(c), "infra"), 180_000);

  it("the new row's generated test runs and passes", async () => {
    const ws = generated(c);
    const tests = generatedTestFiles(ws, "handlers").filter((f) => f.includes("FM-24"));
    await expectTestsPass(ws, tests);
  }, 300_000);
});

describe("spec edit: remove the batch operation", () => {
  let removed: { op: string; removedRows: string[] } | undefined;
  const c = editedSeed("no-batch", (fx) => {
    removed = removeBatchOperation(fx);
  });

  it("generates no batch code and no test for the removed rows", () => {
    const ws = generated(c);
    expect(text(ws, "")).not.toContain(removed!.op);
    const tests = ["ecu-client", "handlers"].flatMap((p) => generatedTestFiles(ws, p));
    for (const id of removed!.removedRows) expect(tests.filter((t) => t.includes(id))).toEqual([]);
  });

  it.each(["ecu-client", "handlers", "infra", "local"])(
    "generated/%s typechecks",
    (pkg) => expectTypechecks(generated(c), pkg),
    180_000,
  );

  it("the generated handler tests pass", async () => {
    await expectTestsPass(generated(c), ["generated/handlers/"]);
  }, 300_000);
});

describe("spec edit: add a second handled telemetry channel", () => {
  const names = {
    channel: "vehicleDiagnostics",
    op: "publishDiagnostics",
    handler: "diagnostics-processor",
    suffix: "diagnostics",
  };
  const c = editedSeed("second-channel", (fx) => addHandledChannel(fx, names));

  it("generates a handler, a function and a publish method for it", () => {
    const ws = generated(c);
    expect(text(ws, "handlers/")).toContain(names.handler);
    expect(text(ws, "infra/")).toContain(names.handler);
    expect(text(ws, "ecu-client/")).toContain(names.op);
    expect(text(ws, "spec/")).toContain("/diagnostics");
  });

  it.each(["ecu-client", "handlers", "infra"])(
    "generated/%s typechecks",
    (pkg) => expectTypechecks(generated(c), pkg),
    180_000,
  );

  it("the generated handler tests pass", async () => {
    await expectTestsPass(generated(c), ["generated/handlers/"]);
  }, 300_000);
});

describe("spec edit: rename the vehicle parameter", () => {
  const c = editedSeed("rename-param", (fx) => renameVehicleParameter(fx, "vehicle_id", "vin"));

  it("topics use the new parameter; the payload field keeps its name", () => {
    const ws = generated(c);
    const spec = text(ws, "spec/");
    expect(spec).toContain("{vin}");
    expect(spec).not.toContain("{vehicle_id}");
    expect(text(ws, "local/")).toMatch(/\bvin\b/);
  });

  it.each(["spec", "ecu-client", "handlers", "local"])(
    "generated/%s typechecks",
    (pkg) => expectTypechecks(generated(c), pkg),
    180_000,
  );

  it("the generated topic and client tests pass", async () => {
    await expectTestsPass(generated(c), ["generated/spec/", "generated/ecu-client/test/client"]);
  }, 300_000);
});

describe("spec edit: change a publish operation to QoS 0", () => {
  let op = "";
  const c = editedSeed("qos0", (fx) => {
    op = recordOperation(fx).op;
    setQos(fx, op, 0);
  });

  it("the operation's contract says QoS 0", () => {
    const ws = generated(c);
    const spec = text(ws, "spec/");
    expect(spec).toMatch(new RegExp(`${op}[\\s\\S]{0,400}qos:\\s*0`));
  });

  it(
    "generated/ecu-client typechecks",
    () => expectTypechecks(generated(c), "ecu-client"),
    180_000,
  );

  it("the generated client tests pass", async () => {
    await expectTestsPass(generated(c), ["generated/ecu-client/"]);
  }, 300_000);
});

describe("spec edit: a row with an unknown signal", () => {
  let fx: SpecFixture;
  beforeAll(() => {
    fx = specFixture();
    appendFailureMode(fx, {
      ...NEW_ROW,
      detection: { ...NEW_ROW.detection, signal: "brownout" },
    });
  });
  afterAll(() => fx.cleanup());

  it("is a located error that lists the known signals, and nothing is written", () => {
    const r = runCli(["--no-cache"], fx.root);
    expect(r.code).toBe(1);
    const line = lastSignalLine(fx);
    const error = r.stderr
      .split("\n")
      .find((l) => l.startsWith(`fmea/failure-modes.yaml:${line}:`) && l.includes("brownout"));
    expect(error, r.stderr).toBeDefined();
    expect(error).toMatch(/^fmea\/failure-modes\.yaml:\d+:\d+: error: /);
    for (const signal of Object.keys(SIGNALS)) expect(error).toContain(signal);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(fx.read("asyncapi.yaml")).toBeTruthy();
    expect(() => fx.read("generated/manifest.json")).toThrow();
  });
});
