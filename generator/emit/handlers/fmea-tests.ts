import { scenarioOf, type ScenarioEntry } from "../../../runtime/src/handlers/testing/registry.js";
import type { FailureModeModel, Model, PolicyModel } from "../../model/types.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { loadTemplates, type TemplateSet } from "../templates.js";
import { exampleTopic, exampleVehicle, invalidName, invalidSnapshot, sampleName } from "./tests.js";
import { handlerViews, policyRows, type HandlerView } from "./views.js";

const SPEC = "@v2c/spec";
const KIT = "@v2c/runtime/handlers/testing/index";
const SOURCES = sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]);
const lit = (v: unknown) => JSON.stringify(v);

/** What a row's test runs: the scenario, the handler it drives and the faulty downstream. */
export interface ScenarioChoice {
  readonly scenario: ScenarioEntry;
  readonly handler: HandlerView;
  readonly downstream?: string;
}

/** Metric roles whose count a scenario's detection run produces (for the alarm test). */
const DETECTION_ROLES: Record<string, readonly string[]> = {
  "corrupt-payload": ["rejected", "dlq-count", "messages-failed"],
  "range-violation": ["rejected", "dlq-count", "messages-failed"],
  "not-zstd": ["rejected", "dlq-count", "messages-failed"],
  "zstd-bomb": ["rejected", "dlq-count", "messages-failed"],
  "checksum-mismatch": ["rejected", "dlq-count", "messages-failed"],
  "clock-skew": ["rejected", "dlq-count", "messages-failed"],
  "near-deadline": ["dlq-count", "messages-failed"],
  "pool-exhausted": ["downstream-errors", "dlq-count", "messages-failed"],
  "downstream-fault": ["downstream-errors", "throttled", "dlq-count", "messages-failed"],
  "partial-write": ["partial-writes", "dlq-count", "messages-failed"],
  "duplicate-delivery": ["duplicates"],
};

/**
 * The scenario of a handlers-owned row, chosen by (component kind, signal), the policy keys
 * the scenario requires and a handler that can drive it; or the reason there is none.
 */
export function chooseScenario(model: Model, fm: FailureModeModel): ScenarioChoice | string {
  const kind = model.participants.find((p) => p.id === fm.component)?.kind ?? "";
  const signal = fm.detection.signal.name;
  const scenario = scenarioOf(kind, signal);
  if (!scenario)
    return `the test kit has no fault-injection scenario for signal "${signal}" on a ${kind} component`;
  const missing = scenario.requires.filter(
    (k) => fm.mitigation.policy[k as keyof PolicyModel] === undefined,
  );
  if (missing.length > 0)
    return `the "${scenario.id}" scenario needs the row's policy to carry ${missing.join(", ")}`;
  // "any": a batch handler first (it also shows the other records of the batch are kept).
  const byKind = (h: HandlerView) => (scenario.target === "any" && h.kind === "batch" ? 0 : 1);
  const handlers = [...handlerViews(model)]
    .sort((a, b) => byKind(a) - byKind(b))
    .filter(
      (h) =>
        (scenario.target === "any" || h.kind === scenario.target) &&
        (!scenario.zstd || h.zstd) &&
        (!scenario.dedup || h.operation.handler!.dedup !== undefined) &&
        (!scenario.invalid || invalidSnapshot(h.record) !== undefined),
    );
  const writes = (h: HandlerView) => h.operation.handler!.writes;
  if (scenario.downstream) {
    const isStore = kind === "key-value-store" || kind === "time-series-store";
    for (const h of handlers) {
      const kv = writes(h).filter(
        (id) => model.participants.find((p) => p.id === id)?.kind === "key-value-store",
      );
      const downstream = isStore
        ? writes(h).includes(fm.component)
          ? fm.component
          : undefined
        : (kv[0] ?? writes(h)[0]);
      if (downstream) return { scenario, handler: h, downstream };
    }
    return `no ${scenario.target} handler writes ${isStore ? `"${fm.component}"` : "a downstream"}`;
  }
  const h = handlers[0];
  if (!h)
    return `no ${scenario.target} handler${scenario.zstd ? " with a zstd message" : ""}${scenario.dedup ? " with dedup" : ""}${scenario.invalid ? " whose message declares a numeric range to break" : ""} to drive the "${scenario.id}" scenario`;
  return { scenario, handler: h };
}

/** `<row id>-<row slug>.test.ts`. */
const fileName = (fm: FailureModeModel) => `${fm.id}-${fm.slug}.test.ts`;
const describeName = (fm: FailureModeModel) => `${fm.id} ${fm.name}`;

/** `handlers/test/fmea/harness.ts`: the generated handlers and sample payloads for the kit. */
function emitHarness(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const imports = new ImportCollector();
  imports.use(KIT, "HandlersUnderTest", true);
  imports.use("../../src/pipelines.js", rows.replayFactory);
  imports.use("../../src/policy.js", "downstreamPolicy");
  imports.use("../../src/policy.js", "handlerMetrics");
  const ops = handlers.map((h) => {
    imports.use("../../src/pipelines.js", h.factoryName);
    imports.use("../samples.js", sampleName(h.record));
    if (h.kind === "batch") imports.use("../samples.js", sampleName(h.message));
    const invalid = h.kind === "record" && invalidSnapshot(h.record) ? invalidName(h.record) : "";
    if (invalid) imports.use("../samples.js", invalid);
    const handler = h.operation.handler!;
    return {
      operationLiteral: lit(h.operationId),
      kind: h.kind,
      factory: h.factoryName,
      topic: lit(exampleTopic(ctx.model, h.channelId)),
      vehicle: lit(exampleVehicle(ctx.model, h)),
      writes: lit(handler.writes),
      leaseMs: handler.timeoutMs,
      dedup: handler.dedup ? lit(handler.dedup) : "",
      dedupWindowMs: h.operation.dedupWindowMs ?? 0,
      batch: h.kind === "batch",
      zstd: h.zstd,
      maxCompressedBytes: h.operation.batch?.maxCompressedBytes ?? 0,
      maxDecompressedBytes: h.operation.batch?.maxDecompressedBytes ?? 0,
      sample: sampleName(h.record),
      invalid,
      batchSample: h.kind === "batch" ? sampleName(h.message) : "",
    };
  });
  const content = t.render("fmea-harness.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    operations: ops,
    replayFactory: rows.replayFactory,
  });
  return { path: "handlers/test/fmea/harness.ts", content };
}

/** One `handlers/test/fmea/FM-xx-<slug>.test.ts`: the row's fault injected, its mitigation asserted. */
function emitHandlerModeTest(
  ctx: EmitContext,
  t: TemplateSet,
  fm: FailureModeModel,
  choice: ScenarioChoice,
): GeneratedFile {
  const { scenario, handler, downstream } = choice;
  const imports = new ImportCollector();
  for (const n of ["afterAll", "beforeAll", "describe", "expect", "it"]) imports.use("vitest", n);
  for (const n of ["startScenarioKit", "dlqReasonOf"]) imports.use(KIT, n);
  imports.use(KIT, "ScenarioKit", true);
  imports.use(SPEC, fm.key);
  imports.use("./harness.js", "harness");
  if (scenario.id === "downstream-fault" || scenario.id === "partial-write")
    imports.use("../../src/policy.js", "downstreamPolicy");
  if (scenario.id === "duplicate-delivery") imports.use("../../src/policy.js", "handlerMetrics");
  const uses: Record<string, string[]> = {
    "corrupt-payload": ["corruptPayload"],
    "range-violation": ["rangeViolation"],
    "not-zstd": ["notZstd"],
    "zstd-bomb": ["zstdBomb"],
    "checksum-mismatch": ["corruptChecksum", "isStored"],
    "clock-skew": ["skewedClock"],
    "duplicate-delivery": ["duplicateDelivery"],
    "near-deadline": ["nearDeadline"],
    "pool-exhausted": ["downstreamFault"],
    "downstream-fault": ["downstreamFault"],
    "partial-write": ["partialWrite"],
    "series-rejects": ["seriesRejects"],
    "crashed-invocation": ["crashedInvocation", "isStored"],
  };
  for (const n of uses[scenario.id] ?? []) imports.use(KIT, n);
  if (scenario.id === "clock-skew") imports.use(SPEC, "platform");
  // The row's alarm metric, when the handlers emit it in this scenario.
  const alarm = fm.detection.alarm;
  const role = ctx.model.metrics.find((m) => m.name === alarm.metric)?.role;
  const detection = role !== undefined && (DETECTION_ROLES[scenario.id] ?? []).includes(role);
  if (detection) imports.use(SPEC, "metrics");
  const dims = Object.entries(alarm.dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const policy = fm.mitigation.policy;
  const writes = handler.operation.handler!.writes;
  const kvWrites = writes.filter(
    (id) => ctx.model.participants.find((p) => p.id === id)?.kind === "key-value-store",
  );
  const describe = describeName(fm);
  const ds = downstream ?? "";
  const content = t.render("fmea-handler.test.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    fm: { id: fm.id, key: fm.key, name: fm.name, describe, mitigation: fm.mitigation.description },
    scenario: scenario.id,
    op: lit(handler.operationId),
    downstream: lit(ds),
    signal: lit(fm.detection.signal.name),
    kvWrites: lit(kvWrites),
    hasRetry: policy.retry !== undefined,
    hasBreaker: policy.circuitBreaker !== undefined,
    batchTarget: handler.kind === "batch",
    detection: detection
      ? `detection: counts ${alarm.metric}${dims ? ` {${dims}}` : ""}, the metric of the row's alarm`
      : false,
    tests: {
      main: `${handler.name}: the row's fault (${fm.detection.signal.name}${ds ? ` on ${ds}` : ""}) is dead-lettered under the row's DLQ reason`,
      recovers: `${handler.name}: retries ${ds} on its schedule and stores the message once the fault stops`,
      circuit: `${handler.name}: opens the ${ds} circuit at its failure threshold; then messages are dead-lettered without a call`,
      partialRecovers: `${handler.name}: stores every record when the withheld items go through on a retry`,
      storm: `${handler.name}: stores a redelivery storm once and counts every other copy as a duplicate`,
      window: `${handler.name}: beyond the dedup window a resend is written again`,
      inTime: `${handler.name}: with time left beyond the safety margin, the message is stored`,
      replay: `${handler.name}: replays a skewed record once the cloud clock agrees`,
      crash: `${handler.name}: an invocation that dies mid-write (${fm.detection.signal.name}) holds its claim for the lease; the redelivery after it stores every record once, with nothing dead-lettered`,
      crashLater: `${handler.name}: a copy delivered after the recovered one is a duplicate`,
    },
  });
  return {
    path: `handlers/test/fmea/${fileName(fm)}`,
    content,
    traces: [
      { failureMode: fm.id, kind: "test", symbol: `${fileName(fm)}: describe("${describe}")` },
    ],
  };
}

/** A handlers-owned row without a scenario: an `it.todo` saying why (and a `--strict` gap). */
function emitPendingModeTest(t: TemplateSet, fm: FailureModeModel, reason: string): GeneratedFile {
  const imports = new ImportCollector();
  imports.use("vitest", "describe");
  imports.use("vitest", "it");
  const describe = describeName(fm);
  const content = t.render("fmea-manual.test.ts", {
    sources: sourceList(["fmea/failure-modes.yaml"]),
    imports: imports.lines(),
    describe,
    reason: lit(`no generated fault-injection test: ${reason}`),
    runbook: fm.runbook ?? "",
    steps: [lit(`${fm.detection.signal.name} on ${fm.component}: ${fm.mitigation.description}`)],
  });
  return {
    path: `handlers/test/fmea/${fileName(fm)}`,
    content,
    traces: [
      {
        failureMode: fm.id,
        kind: "test",
        symbol: `${fileName(fm)}: describe("${describe}")`,
        pending: reason,
      },
    ],
  };
}

/** One `infra/test/fmea/FM-xx-<slug>.test.ts` of `it.todo` per manual response step. */
function emitManualModeTest(t: TemplateSet, fm: FailureModeModel): GeneratedFile {
  const imports = new ImportCollector();
  imports.use("vitest", "describe");
  imports.use("vitest", "it");
  const describe = describeName(fm);
  const reason = lit(
    fm.owner === "operations"
      ? "skipped: owned by operations, a manual procedure run by people"
      : `skipped: recovery is manual (${fm.recovery.description})`,
  );
  const content = t.render("fmea-manual.test.ts", {
    sources: sourceList(["fmea/failure-modes.yaml"]),
    imports: imports.lines(),
    describe,
    reason,
    runbook: fm.runbook ?? "",
    steps: fm.response.map((s, i) => lit(`step ${i + 1}: ${s}`)),
  });
  return {
    path: `infra/test/fmea/${fileName(fm)}`,
    content,
    traces: [
      { failureMode: fm.id, kind: "test", symbol: `${fileName(fm)}: describe("${describe}")` },
    ],
  };
}

/**
 * The failure-mode tests: per handlers-owned row, a vitest file that injects the row's fault
 * through the runtime's scenario registry (by component kind and signal) and asserts its
 * mitigation with the row's own figures — or, when the kit has no scenario for the pair, an
 * `it.todo` saying why; per row owned by operations or recovered manually, an `it.todo` per
 * response step in the infra package.
 */
export function emitFmeaTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const t = loadTemplates(templatesRoot, "handlers");
  const owned = ctx.model.failureModes.filter((f) => f.owner === "handlers");
  const manual = ctx.model.failureModes.filter(
    (f) => f.owner === "operations" || f.recovery.mode === "manual",
  );
  const files: GeneratedFile[] = [];
  if (owned.length > 0 && handlerViews(ctx.model).length > 0) {
    files.push(emitHarness(ctx, t));
    for (const fm of owned) {
      const choice = chooseScenario(ctx.model, fm);
      files.push(
        typeof choice === "string"
          ? emitPendingModeTest(t, fm, choice)
          : emitHandlerModeTest(ctx, t, fm, choice),
      );
    }
  }
  for (const fm of manual) files.push(emitManualModeTest(t, fm));
  return files;
}
