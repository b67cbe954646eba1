import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNALS } from "../generator/model/vocabulary.js";
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
import {
  addHandledChannel,
  appendFailureMode,
  batchOperation,
  broadcastReceivedChannel,
  dropEnvelopeRoles,
  lastSignalLine,
  recordOperation,
  removeBatchOperation,
  removeRecordOperation,
  renameVehicleParameter,
  setQos,
} from "./support/seed-edits.js";
import { runCli, specFixture, type SpecFixture } from "./support/spec-fixture.js";

// Spec edits a user makes to the seed, each on its own copy: the edited spec must generate,
// the packages the edit touches must typecheck, and their generated tests must pass. To keep
// the cost near two minutes, every edit is generated first, then ONE tsc program checks the
// affected packages of all edits and ONE vitest process runs the affected generated tests.

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

/** One user edit: what it changes, which packages and generated tests it affects. */
interface Edit {
  readonly name: string;
  readonly title: string;
  apply(fx: SpecFixture): void;
  readonly typecheck: readonly string[];
  tests(ws: GeneratedWorkspace): string[];
  /** Of `tests`, the files whose every test must run and pass (none left a todo or skipped). */
  real?(ws: GeneratedWorkspace): string[];
  /** What the edit must change in the output (read from the generated code itself). */
  check(ws: GeneratedWorkspace): Promise<void>;
}

function text(ws: GeneratedWorkspace, prefix: string): string {
  return ws.result.files
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => f.content)
    .join("\n");
}

let removed: { op: string; removedRows: string[] } = { op: "", removedRows: [] };
let qosOp = "";
let broadcastOp = "";
let removedRecord = "";
let batchOp = "";
const SECOND = {
  channel: "vehicleDiagnostics",
  op: "publishDiagnostics",
  handler: "diagnostics-processor",
  suffix: "diagnostics",
};

const EDITS: Edit[] = [
  {
    name: "add-row",
    title: "add a failure mode with a known signal",
    apply: (fx) => appendFailureMode(fx, NEW_ROW),
    typecheck: ["handlers", "infra"],
    tests: (ws) => generatedTestFiles(ws, "handlers").filter((f) => f.includes("FM-24")),
    check: async (ws) => {
      expect(generatedTestFiles(ws, "handlers").filter((f) => f.includes("FM-24"))).toHaveLength(1);
      expect(text(ws, "infra/")).toContain("FM-24");
      expect(text(ws, "docs/")).toContain("FM-24");
    },
  },
  {
    name: "no-batch",
    title: "remove the batch operation",
    apply: (fx) => {
      removed = removeBatchOperation(fx);
    },
    typecheck: ["ecu-client", "handlers", "infra", "local"],
    tests: (ws) => generatedTestFiles(ws, "handlers").filter((f) => f.endsWith("handlers.test.ts")),
    check: async (ws) => {
      expect(text(ws, "")).not.toContain(removed.op);
      const { operations } = await generatedContract(ws);
      for (const op of Object.values(operations)) expect(op).not.toHaveProperty("batch");
      const tests = ["ecu-client", "handlers"].flatMap((p) => generatedTestFiles(ws, p));
      for (const id of removed.removedRows) expect(tests.filter((t) => t.includes(id))).toEqual([]);
    },
  },
  {
    name: "second-channel",
    title: "add a second handled telemetry channel",
    apply: (fx) => addHandledChannel(fx, SECOND),
    typecheck: ["ecu-client", "handlers", "infra"],
    tests: (ws) => generatedTestFiles(ws, "handlers").filter((f) => f.endsWith("handlers.test.ts")),
    check: async (ws) => {
      const { operations } = await generatedContract(ws);
      expect(operations[SECOND.op]).toMatchObject({
        action: "send",
        handler: { name: SECOND.handler },
      });
      expect(text(ws, "handlers/")).toContain(SECOND.handler);
      expect(text(ws, "infra/")).toContain(SECOND.handler);
      expect(text(ws, "ecu-client/")).toContain(SECOND.op);
    },
  },
  {
    name: "rename-param",
    title: "rename the vehicle parameter",
    apply: (fx) => renameVehicleParameter(fx, "vehicle_id", "vin"),
    typecheck: ["spec", "ecu-client", "handlers", "local"],
    tests: (ws) => [
      ...generatedTestFiles(ws, "spec"),
      ...generatedTestFiles(ws, "ecu-client").filter((f) => f.endsWith("client.test.ts")),
    ],
    check: async (ws) => {
      const { channels, servers } = await generatedContract(ws);
      for (const ch of Object.values(channels)) expect(ch.address).toContain("{vin}");
      for (const sv of Object.values(servers)) expect(sv.clientIdTemplate).toBe("{vin}");
      // (proto comments may still mention the old name: they are the user's text)
      expect(text(ws, "spec/src/topics.ts")).not.toContain("{vehicle_id}");
      expect(text(ws, "spec/src/contract.ts")).not.toContain("{vehicle_id}");
    },
  },
  {
    name: "qos0",
    title: "change a publish operation to QoS 0",
    apply: (fx) => {
      qosOp = recordOperation(fx).op;
      setQos(fx, qosOp, 0);
    },
    typecheck: ["ecu-client"],
    tests: (ws) => generatedTestFiles(ws, "ecu-client"),
    check: async (ws) => {
      const { operations } = await generatedContract(ws);
      expect(operations[qosOp]).toMatchObject({ qos: 0, offline: "drop" });
    },
  },
  {
    name: "thin-command",
    title: "drop the event-time, vehicle-id and message-id roles of the received command",
    apply: (fx) => void dropEnvelopeRoles(fx, ["event_time", "vehicle_id", "message_id"]),
    typecheck: ["ecu-client", "commands"],
    // The commands test fills the command's non-envelope fields (vehicle_id is one now) itself.
    tests: (ws) => [
      ...generatedTestFiles(ws, "ecu-client").filter((f) => f.endsWith("client.test.ts")),
      ...generatedTestFiles(ws, "commands"),
    ],
    check: async (ws) => {
      // Without those roles the client checks what is left (expiry) and cannot tell repeats.
      const client = text(ws, "ecu-client/src/client.ts");
      expect(client).toContain('this.ignore("expired")');
      expect(client).not.toContain('this.ignore("other-vehicle")');
      expect(client).not.toContain('this.ignore("duplicate")');
    },
  },
  {
    name: "broadcast-command",
    title: "make the received command a broadcast (no vehicle parameter in its address)",
    apply: (fx) => {
      broadcastOp = broadcastReceivedChannel(fx, "vehicle_id");
    },
    typecheck: ["ecu-client", "commands"],
    tests: (ws) => generatedTestFiles(ws, "commands"),
    check: async (ws) => {
      // The commands package's test drives the broadcast too (the vehicle client subscribes to it).
      const test = text(ws, "commands/test/commands.test.ts").toLowerCase();
      expect(test).toContain(broadcastOp.toLowerCase());
      expect(text(ws, "ecu-client/src/client.ts")).not.toContain('this.ignore("other-vehicle")');
    },
  },
  {
    name: "batch-only",
    title: "remove the single-message send operation (batches only)",
    apply: (fx) => {
      removedRecord = removeRecordOperation(fx);
      batchOp = batchOperation(fx).op;
    },
    typecheck: ["ecu-client", "handlers", "infra", "local"],
    tests: (ws) => [...generatedTestFiles(ws, "handlers"), ...generatedTestFiles(ws, "ecu-client")],
    // Every client test drives the batch operation: none is left a todo.
    real: (ws) => generatedTestFiles(ws, "ecu-client"),
    check: async (ws) => {
      const { operations } = await generatedContract(ws);
      expect(operations).not.toHaveProperty(removedRecord);
      // The client's tests publish through the batch operation instead of a single-message send.
      const clientTests = ws.result.files.filter(
        (f) => f.path.startsWith("ecu-client/test/") && f.path.endsWith(".test.ts"),
      );
      expect(clientTests.length).toBeGreaterThan(1);
      for (const f of clientTests) expect(f.content, f.path).not.toContain("it.todo(");
      expect(text(ws, "ecu-client/test/client.test.ts")).toContain(`client.${batchOp}(`);
      expect(text(ws, "ecu-client/test/")).not.toContain(removedRecord);
    },
  },
];

interface Outcome {
  fx: SpecFixture;
  ws?: GeneratedWorkspace;
  internal?: unknown;
}

const outcomes = new Map<string, Outcome>();
let tsc: TypecheckResult | undefined;
let tests: Map<string, TestFileResult> | undefined;
let testOutput = "";

function generated(name: string): GeneratedWorkspace {
  const o = outcomes.get(name)!;
  expect(o.internal, String((o.internal as Error | undefined)?.stack)).toBeUndefined();
  expect(o.ws!.messages.filter((m) => m.includes(": error: "))).toEqual([]);
  expect(o.ws!.result.ok).toBe(true);
  return o.ws!;
}

describe("spec edits on the seed: generate, typecheck, pass their generated tests", () => {
  beforeAll(async () => {
    for (const edit of EDITS) {
      const fx = specFixture();
      const o: Outcome = { fx };
      outcomes.set(edit.name, o);
      try {
        edit.apply(fx);
        o.ws = await generateWorkspace(`edit-${edit.name}`, fx.root);
      } catch (e) {
        o.internal = e;
      }
    }
    const ok = EDITS.filter((e) => outcomes.get(e.name)!.ws?.result.ok);
    const refs = ok.flatMap((e) =>
      e.typecheck.map((pkg) => ({ ws: outcomes.get(e.name)!.ws!, pkg })),
    );
    if (refs.length > 0) tsc = await typecheckTogether(refs, "spec-edits");
    const files = ok.flatMap((e) => {
      const ws = outcomes.get(e.name)!.ws!;
      return e.tests(ws).map((file) => ({ ws, file }));
    });
    if (files.length > 0) {
      const r = await runTestsTogether(files, "spec-edits");
      tests = r.files;
      testOutput = r.output;
    }
  }, 900_000);

  afterAll(() => {
    for (const o of outcomes.values()) {
      removeWorkspace(o.ws);
      o.fx.cleanup();
    }
  });

  describe.each(EDITS)("spec edit: $title", (edit) => {
    it("generates, and the output shows the edit", async () => {
      await edit.check(generated(edit.name));
    });

    it(`the affected packages typecheck (${edit.typecheck.join(", ")})`, () => {
      const ws = generated(edit.name);
      expect(tsc, "tsc did not run").toBeDefined();
      expect(tsc!.errorsIn(ws)).toEqual([]);
      expect(tsc!.output).not.toMatch(/killed after/);
    });

    it("the affected generated tests run and pass", () => {
      const ws = generated(edit.name);
      const files = edit.tests(ws);
      expect(files.length).toBeGreaterThan(0);
      expect(tests, testOutput.slice(-3000)).toBeDefined();
      for (const file of files) {
        const r = tests!.get(`${ws.dir}/${file}`);
        expect(r, `${file} did not run:\n${testOutput.slice(-3000)}`).toBeDefined();
        expect(r!.failures, file).toEqual([]);
        expect(r!.status, file).toBe("passed");
      }
      for (const file of edit.real?.(ws) ?? []) {
        const { tests: run } = tests!.get(`${ws.dir}/${file}`)!;
        expect(run.length, file).toBeGreaterThan(0);
        expect(
          run.filter((t) => t.status !== "passed"),
          file,
        ).toEqual([]);
      }
    });
  });
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
    const r = runCli([], fx.root);
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

describe("spec edit: a known signal on a component of the wrong kind", () => {
  let fx: SpecFixture;
  beforeAll(() => {
    fx = specFixture();
    // `throttled` applies to stores, not to a function: the row names the handler's own function.
    appendFailureMode(fx, {
      ...NEW_ROW,
      component: "validator",
      detection: { ...NEW_ROW.detection, signal: "throttled" },
    });
  });
  afterAll(() => fx.cleanup());

  it("is a located error naming the kinds it applies to and the signals of that kind", () => {
    const r = runCli([], fx.root);
    expect(r.code).toBe(1);
    const line = lastSignalLine(fx);
    const error = r.stderr
      .split("\n")
      .find((l) => l.startsWith(`fmea/failure-modes.yaml:${line}:`) && l.includes("throttled"));
    expect(error, r.stderr).toMatch(/: error: .*key-value-store.*decode-error/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});
