import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { clientView } from "./view.js";
import { clientPolicyRows, clientTestedRows } from "./policies.js";
import { clientTestPlan, type ClientTestKind } from "./test-kinds.js";
import { invalidSnapshot, sampleSnapshot } from "./sample.js";
import { ACKED_KINDS, QUEUED_KINDS, sendOf } from "./send-choice.js";
import { emitBatchClientTests } from "./tests-batch.js";
import {
  VITEST,
  clientTestFile,
  clientTestName,
  harnessFile,
  importsOf,
  noFailoverReason,
  render,
  rowView,
  testImports,
  type SendView,
} from "./test-shared.js";

export { ackedSend, queuedSend } from "./send-choice.js";

/**
 * A spec whose vehicle sends nothing (only receives): the client's tests drive a send, so
 * `client.test.ts` and each client row's test are an `it.todo` saying so (and the rows are
 * reported as pending: a `--strict` gap).
 */
function pendingClientTests(m: EmitContext["model"], templatesRoot: string): GeneratedFile[] {
  const reason =
    "the generated client tests drive a single-message send operation, and this spec declares none (only batch or receive operations)";
  const todo = (row: { id: string; name: string }) => {
    const imports = new ImportCollector();
    imports.use(VITEST, "describe");
    imports.use(VITEST, "it");
    return render(
      "todo",
      { sources: sourceList(m.sources), imports: imports.lines(), row, reason },
      templatesRoot,
    );
  };
  return [
    {
      path: "ecu-client/test/client.test.ts",
      content: todo({ id: "generated", name: "VehicleClient" }),
    },
    ...clientTestedRows(m).map((fm) => {
      const name = clientTestName(fm);
      return {
        path: `ecu-client/test/${name}`,
        content: todo({ id: fm.id, name: fm.name }),
        traces: [
          {
            failureMode: fm.id,
            kind: "test" as const,
            symbol: `${name}: describe("${fm.id} ${fm.name}")`,
            pending: reason,
          },
        ],
      };
    }),
  ];
}

/**
 * `test/harness.ts`, `test/client.test.ts` and one `test/FM-xx-<slug>.test.ts` per failure mode
 * the client owns or applies a policy of; a mode with nothing to exercise gets `it.todo(reason)`.
 */
export function emitClientTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const m = ctx.model;
  const view = clientView(m);
  const rows = clientPolicyRows(m);
  const send = view.sends[0];
  const batch = view.batches[0] ?? null;
  const receive = view.receives[0] ?? null;
  if (!send)
    return batch ? emitBatchClientTests(ctx, templatesRoot) : pendingClientTests(m, templatesRoot);
  const files: GeneratedFile[] = [harnessFile(m, view, send, templatesRoot)];

  const common = (
    kind: ClientTestKind | "todo" | "client",
    rowKey?: string,
    skip: readonly string[] = [],
    acked?: SendView,
  ) => testImports(kind, importsOf(kind, view, acked), rowKey, skip);

  const invalid = invalidSnapshot(send.message);
  const clientImports = common("client", undefined, invalid ? [] : ["MessageValidationError"]);
  files.push({
    path: "ecu-client/test/client.test.ts",
    content: render(
      "client",
      {
        sources: sourceList(m.sources),
        imports: clientImports.lines(),
        send,
        sendStatus: send.qos === 0 ? "sent" : "acked",
        receive,
        // The received message's other declared rules, satisfied (its envelope the test fills).
        receiveSample: receive ? literal(sampleSnapshot(receive.message)) : null,
        invalidSnapshot: invalid ? literal(invalid.snapshot) : null,
        invalidViolations: invalid ? literal(invalid.violations) : null,
        invalidTodo: `${send.message.id} declares no numeric range outside its envelope fields that a value can break`,
      },
      templatesRoot,
    ),
  });

  for (const fm of clientTestedRows(m)) {
    let plan = clientTestPlan(fm, rows);
    const acked = sendOf(plan.kind, fm, view.sends);
    if (ACKED_KINDS.has(plan.kind) && !acked)
      plan = {
        kind: "todo",
        reason: `no send operation with QoS >= 1: ${fm.detection.signal.name} is a PUBACK outcome and QoS 0 has no PUBACK`,
      };
    const noFailover = noFailoverReason(m);
    if (plan.kind === "failover" && noFailover) plan = { kind: "todo", reason: noFailover };
    const usesRow = !["todo", "clock-skew", "credential", "failover"].includes(plan.kind);
    const ownSend =
      ACKED_KINDS.has(plan.kind) || QUEUED_KINDS.has(plan.kind) || plan.kind === "size";
    const imports = common(plan.kind, usesRow ? fm.key : undefined, [], acked);
    const content = render(
      plan.kind,
      {
        sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
        imports: imports.lines(),
        row: rowView(fm),
        reason: plan.kind === "todo" ? plan.reason : null,
        expired: plan.kind === "credential" && plan.credential === "expired",
        credential: plan.kind === "credential" ? plan.credential : null,
        send: ownSend ? (acked ?? null) : send,
        acked: acked !== undefined && acked.qos >= 1,
        sample: acked && acked !== send ? literal(sampleSnapshot(acked.message)) : "SAMPLE",
        batch,
        batchAcked: batch !== null && batch.qos >= 1,
        // The batch a queue check publishes when the spec has no single-message send (tests-batch.ts).
        queuedBatch: null,
      },
      templatesRoot,
    );
    files.push(clientTestFile(fm, content));
  }
  return files;
}
