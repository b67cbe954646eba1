import type { FailureModeModel } from "../../model/types.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { literal, sourceList } from "../names.js";
import { SPEC, clientView, type ClientView } from "./view.js";
import { clientPolicyRows, clientTestedRows } from "./policies.js";
import { clientTestPlan, type ClientTestPlan } from "./test-kinds.js";
import { invalidSnapshot, sampleSnapshot } from "./sample.js";
import { ackedSend, queuedSend } from "./send-choice.js";
import {
  CFG,
  H,
  M,
  R,
  RT,
  clientTestFile,
  harnessFile,
  importsOf,
  noFailoverReason,
  render,
  rowView,
  testImports,
  type Use,
} from "./test-shared.js";

// A spec whose vehicle sends only batches: the client's tests drive a batch operation instead
// of a single-message send. The harness's SAMPLE is a snapshot of the batch's record message.

type BatchView = ClientView["batches"][number];

/** What a batch test reads besides the harness: the codec that decodes what a peer received. */
const decoding = (batch: BatchView): Use[] => [
  ...H("VEHICLE_ID"),
  ...R("decodeBatch"),
  ["../src/index.js", batch.codec],
  [SPEC, batch.record.type],
];

/** A record told apart by its id, for checks of which batches were delivered in which order. */
const identified = (batch: BatchView): Use[] => [
  ...decoding(batch),
  ...H("SAMPLE"),
  ["node:crypto", "randomUUID"],
];

/** The test for a row when the vehicle sends only batches: a template, its batch, or `it.todo`. */
interface BatchTest {
  readonly template: string;
  readonly uses: Use[];
  /** The batch the test publishes on (`null`: the template publishes nothing). */
  readonly batch: BatchView | null;
  readonly reason: string | null;
}

const todo = (reason: string): BatchTest => ({ template: "todo", uses: [], batch: null, reason });

/** `client.test.ts` of a batch-only spec: a batch through Mosquitto, then the shared checks. */
function clientTest(
  m: EmitContext["model"],
  view: ClientView,
  batch: BatchView,
  templatesRoot: string,
): GeneratedFile {
  const receive = view.receives[0] ?? null;
  const invalid = invalidSnapshot(batch.record.message);
  const uses: Use[] = [
    ...importsOf("client", view),
    ...R("decodeBatch", ...(batch.envelope.checksum ? ["batchChecksum"] : [])),
    CFG,
    ["../src/index.js", batch.codec],
    [SPEC, batch.type],
    [SPEC, batch.record.type],
  ];
  const imports = testImports("client", uses, undefined, invalid ? [] : ["MessageValidationError"]);
  return {
    path: "ecu-client/test/client.test.ts",
    content: render(
      "client",
      {
        sources: sourceList(m.sources),
        imports: imports.lines(),
        send: null,
        batch,
        batchStatus: batch.qos === 0 ? "sent" : "acked",
        receive,
        receiveSample: receive ? literal(sampleSnapshot(receive.message)) : null,
        invalidSnapshot: invalid ? literal(invalid.snapshot) : null,
        invalidViolations: invalid ? literal(invalid.violations) : null,
        invalidTodo: `${batch.record.message.id} declares no numeric range outside its envelope fields that a value can break`,
      },
      templatesRoot,
    ),
  };
}

/**
 * The queue checks (reconnect, credential, failover) publish one-record batches told apart
 * by the record's id: a batch the vehicle queues offline whose record declares an id role.
 */
function queuedBatchOf(fm: FailureModeModel, view: ClientView): BatchView | null {
  const batch = queuedSend(fm, view.batches);
  return batch?.record.envelope.id ? batch : null;
}

/** Picks the template, batch and imports of one row's test (`plan`: the row's kind). */
function batchTest(fm: FailureModeModel, plan: ClientTestPlan, view: ClientView): BatchTest {
  const first = view.batches[0]!;
  switch (plan.kind) {
    case "puback":
    case "unauthorized": {
      const batch = ackedSend(fm, view.batches);
      if (!batch)
        return todo(
          `no batch operation with QoS >= 1: ${fm.detection.signal.name} is a PUBACK outcome and QoS 0 has no PUBACK`,
        );
      const uses: Use[] =
        plan.kind === "puback"
          ? [
              M,
              ...H("Cleanups", "makeClient", "ScriptedPeer", "SAMPLE", "waitUntil"),
              ...R("ReasonCode", "applyJitter"),
              ...decoding(batch),
              CFG,
            ]
          : [
              M,
              ...H("Cleanups", "makeClient", "ScriptedPeer", "SAMPLE", "signalCode"),
              ...R("NotAuthorizedError"),
              ...RT("SecurityEvent"),
            ];
      return { template: `batch-${plan.kind}`, uses, batch, reason: null };
    }
    case "size": {
      // The broker refusal (DISCONNECT after the PUBLISH) needs a batch that waits for its PUBACK.
      const batch = ackedSend(fm, view.batches) ?? first;
      const uses: Use[] = [
        M,
        ...H("Cleanups", "makeClient", "ScriptedPeer", "SERVER", "signalCode", "startMosquitto"),
        ...H("waitUntil"),
        ...identified(batch),
        ...R("PacketTooLargeError", "encodeBatch"),
        CFG,
      ];
      return { template: "batch-size", uses, batch, reason: null };
    }
    case "reconnect":
    case "credential":
    case "failover": {
      const batch = queuedBatchOf(fm, view);
      const base = importsOf(plan.kind, view);
      if (!batch) return { template: plan.kind, uses: base, batch: null, reason: null };
      const extra: Use[] =
        plan.kind === "reconnect"
          ? [...identified(batch), ...RT("QueueDroppedEvent")]
          : plan.kind === "failover"
            ? identified(batch)
            : H("SAMPLE");
      return { template: plan.kind, uses: [...base, ...extra], batch, reason: null };
    }
    case "clock-skew":
      // The record is the payload the client stamps (the harness's SAMPLE is one).
      return first.record.envelope.timestamp
        ? {
            template: "clock-skew",
            uses: importsOf("clock-skew", view),
            batch: first,
            reason: null,
          }
        : todo(`${first.record.message.id} declares no event-time role: the client stamps no time`);
    case "todo":
      return todo(plan.reason);
    default:
      return { template: plan.kind, uses: importsOf(plan.kind, view), batch: first, reason: null };
  }
}

/**
 * `test/harness.ts`, `test/client.test.ts` and one `test/FM-xx-<slug>.test.ts` per client row
 * for a spec whose vehicle sends only batches: each test drives the batch operation its row
 * concerns; a row with nothing to exercise gets `it.todo(reason)`.
 */
export function emitBatchClientTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const m = ctx.model;
  const view = clientView(m);
  const rows = clientPolicyRows(m);
  const batch = view.batches[0]!;
  const files: GeneratedFile[] = [
    harnessFile(m, view, batch.record, templatesRoot),
    clientTest(m, view, batch, templatesRoot),
  ];
  for (const fm of clientTestedRows(m)) {
    const plan = clientTestPlan(fm, rows);
    let test = batchTest(fm, plan, view);
    const noFailover = noFailoverReason(m);
    if (plan.kind === "failover" && noFailover) test = todo(noFailover);
    const usesRow = !["todo", "clock-skew", "credential", "failover"].includes(test.template);
    const imports = testImports(test.template, test.uses, usesRow ? fm.key : undefined);
    const b = test.batch;
    const content = render(
      test.template,
      {
        sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
        imports: imports.lines(),
        row: rowView(fm),
        reason: test.reason,
        expired: plan.kind === "credential" && plan.credential === "expired",
        credential: plan.kind === "credential" ? plan.credential : null,
        // Only the clock-skew template reads `send` here: the record payload it stamps.
        send: test.template === "clock-skew" ? b!.record : null,
        acked: b !== null && b.qos >= 1,
        sample: "SAMPLE",
        batch: b,
        batchAcked: b !== null && b.qos >= 1,
        queuedBatch: ["reconnect", "credential", "failover"].includes(test.template) ? b : null,
      },
      templatesRoot,
    );
    files.push(clientTestFile(fm, content));
  }
  return files;
}
