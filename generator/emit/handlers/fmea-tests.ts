import type { FailureModeModel, Model } from "../../model/types.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, sourceList } from "../names.js";
import { loadTemplates, type TemplateSet } from "../templates.js";
import {
  batchFields,
  handlerViews,
  METRIC_ROLES,
  policyRows,
  recordFields,
  vehicleParameter,
} from "./views.js";
import { timeField } from "./fields.js";

const SPEC = "@v2c/spec";
const KIT = "@v2c/runtime/handlers/testing/index";
const SOURCES = sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]);

/** What a scenario template block needs beyond the row: extra spec symbols and figures. */
interface ScenarioView {
  /** Kit functions the block calls. */
  readonly kit: readonly string[];
  /** `@v2c/spec` symbols the block reads besides the row. */
  readonly spec?: readonly string[];
  /** Generated handlers symbols (`../../src/policy.js`) the block reads. */
  readonly policy?: readonly string[];
  /** Precomputed expressions/figures the block prints. */
  readonly extra?: Record<string, string | number>;
  /** The scenario call whose rig the detection test reads (when the handlers emit the alarm metric). */
  readonly detectionRun?: string;
  /** The `it` names of the block, by role (the template prints them by role). */
  readonly tests: Record<string, string>;
}

/**
 * A fault-injection scenario of `runtime/src/handlers/testing/scenarios.ts` and the rows it
 * fits, chosen by the row's detection signal, DLQ reason and policy keys (never by id).
 */
interface Scenario {
  readonly id: string;
  fits(fm: FailureModeModel): boolean;
  view(fm: FailureModeModel, model: Model): ScenarioView;
}

const signal = (fm: FailureModeModel, kind: string, code: string) =>
  fm.detection.signal.kind === kind && fm.detection.signal.code === code;
const dlq = (fm: FailureModeModel) => fm.mitigation.policy.dlqReason !== undefined;

/** Index of the row's `uses` entry whose ref ends with `suffix`; throws naming the row. */
function usesIndex(fm: FailureModeModel, suffix: string): number {
  const i = fm.mitigation.uses.findIndex((u) => u.ref.endsWith(suffix));
  if (i < 0)
    throw new Error(
      `handlers fmea-tests emitter: ${fm.id} (${fm.name}) has no uses entry ending in ${suffix}`,
    );
  return i;
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: "corrupt-protobuf",
    fits: (fm) => signal(fm, "exception", "PROTOBUF_PARSE") && dlq(fm),
    view: () => ({
      kit: ["corruptProtobuf"],
      policy: ["handlerMetrics"],
      detectionRun: "corruptProtobuf(kit)",
      tests: {
        main: "dead-letters the corrupt payload as received, under the row's DLQ reason, and counts the rejection",
      },
    }),
  },
  {
    id: "throttled-dynamo",
    fits: (fm) =>
      signal(fm, "exception", "ProvisionedThroughputExceededException") &&
      dlq(fm) &&
      fm.mitigation.policy.retry !== undefined &&
      fm.mitigation.policy.circuitBreaker !== undefined,
    view: () => ({
      kit: ["throttledDynamo"],
      detectionRun: "throttledDynamo(kit, { failures: policy.retry.attempts, messages: 1 })",
      tests: {
        recovers:
          "retries throttled writes on the row's schedule and stores the record once throttling stops",
        exhausted:
          "dead-letters the record under the row's DLQ reason once the retries are spent, releasing its dedup claim",
        circuit:
          "opens the DynamoDB circuit at the row's failure threshold; then records are dead-lettered without a call",
      },
    }),
  },
  {
    id: "pool-exhausted",
    fits: (fm) => signal(fm, "exception", "POOL_EXHAUSTED") && dlq(fm),
    view: () => ({
      kit: ["poolExhausted"],
      policy: ["handlerMetrics"],
      detectionRun: "poolExhausted(kit)",
      tests: {
        main: "dead-letters the record under the row's DLQ reason when no connection can be acquired",
      },
    }),
  },
  {
    id: "duplicate-delivery",
    fits: (fm) => signal(fm, "lookup", "DUPLICATE") && fm.mitigation.policy.dedupKey !== undefined,
    view: (fm, model) => {
      const { record } = handlerViews(model);
      usesIndex(fm, `operations.${record.operationId}.x-dedup-window`);
      return {
        kit: ["duplicateDelivery"],
        policy: ["handlerMetrics"],
        spec: ["operations"],
        extra: { operation: record.operationId },
        tests: {
          storm: "stores a redelivery storm once and counts every other copy as a duplicate",
          window:
            "beyond the dedup window a resend is written again, idempotently under the same dedup key",
        },
      };
    },
  },
  {
    id: "not-zstd",
    fits: (fm) => signal(fm, "exception", "DECOMPRESSION") && dlq(fm),
    view: () => ({
      kit: ["notZstd"],
      policy: ["handlerMetrics"],
      detectionRun: "notZstd(kit)",
      tests: {
        main: "dead-letters a batch that does not decompress whole and raw, under the row's DLQ reason",
      },
    }),
  },
  {
    id: "unprocessed-items",
    fits: (fm) =>
      signal(fm, "response", "UnprocessedItems") &&
      dlq(fm) &&
      fm.mitigation.policy.retry !== undefined,
    view: () => ({
      kit: ["unprocessedItems"],
      detectionRun:
        "unprocessedItems(kit, { records: 10, withhold: 3, times: Number.MAX_SAFE_INTEGER })",
      tests: {
        exhausted:
          "retries UnprocessedItems on the row's schedule, then dead-letters the rest under the row's DLQ reason",
        recovers: "stores every record when the withheld items go through on a retry",
      },
    }),
  },
  {
    id: "near-deadline",
    fits: (fm) => fm.mitigation.policy.deadlineSafetyMarginMs !== undefined && dlq(fm),
    view: () => ({
      kit: ["nearDeadline"],
      tests: {
        expired:
          "with no time left before the row's safety margin, records are dead-lettered under its DLQ reason, not lost",
        inTime: "with time left beyond the safety margin, every record is stored",
      },
    }),
  },
  {
    id: "timestream-rejects",
    fits: (fm) => signal(fm, "exception", "RejectedRecordsException") && dlq(fm),
    view: () => ({
      kit: ["timestreamRejects"],
      detectionRun: "timestreamRejects(kit, { records: 3, rejectIndex: 1 })",
      tests: {
        main: "dead-letters the rejected record under the row's DLQ reason and stores the others",
      },
    }),
  },
  {
    id: "zstd-bomb",
    fits: (fm) =>
      dlq(fm) &&
      fm.mitigation.uses.some((u) => u.ref.endsWith("x-batch.max-decompressed-bytes")) &&
      fm.detection.signal.kind === "log",
    view: (fm, model) => {
      const { batch } = handlerViews(model);
      return {
        kit: ["zstdBomb"],
        spec: ["operations"],
        extra: {
          capIndex: usesIndex(fm, "x-batch.max-decompressed-bytes"),
          operation: batch.operationId,
        },
        tests: {
          main: "refuses a small zstd frame that inflates past the decompressed cap, dead-lettering it under the row's DLQ reason",
        },
      };
    },
  },
  {
    id: "dynamo-unreachable",
    fits: (fm) =>
      fm.component === "dynamodb" &&
      signal(fm, "exception", "CONNECTION_TIMEOUT") &&
      dlq(fm) &&
      fm.mitigation.policy.retry !== undefined &&
      fm.mitigation.policy.circuitBreaker !== undefined,
    view: () => ({
      kit: ["dynamoUnreachable"],
      detectionRun: "dynamoUnreachable(kit, { messages: 1 })",
      policy: ["downstreamPolicy"],
      tests: {
        exhausted:
          "retries a refused connection on the row's schedule, then dead-letters under the row's DLQ reason",
        circuit:
          "opens the DynamoDB circuit at the row's threshold, fails fast while open, and the manual reset closes it",
      },
    }),
  },
  {
    id: "timestream-503",
    fits: (fm) =>
      fm.component === "timestream" &&
      fm.detection.signal.kind === "http-status" &&
      Number(fm.detection.signal.code) === 503 &&
      dlq(fm) &&
      fm.mitigation.policy.retry !== undefined &&
      fm.mitigation.policy.circuitBreaker !== undefined,
    view: () => ({
      kit: ["timestream503"],
      detectionRun: "timestream503(kit, { messages: 1 })",
      tests: {
        exhausted:
          "retries 503s on the row's schedule, then dead-letters under the row's DLQ reason with the dedup claim released",
        circuit:
          "opens the Timestream circuit at the row's threshold; then records are dead-lettered without a call",
      },
    }),
  },
  {
    id: "clock-skew",
    fits: (fm) =>
      signal(fm, "validation", "CLOCK_SKEW") &&
      dlq(fm) &&
      fm.mitigation.uses.some((u) => u.ref.endsWith("timestamps.max-clock-skew")) &&
      fm.mitigation.uses.some((u) => u.ref.endsWith("timestamps.max-age")),
    view: () => ({
      kit: ["skewedClock"],
      detectionRun:
        "skewedClock(kit, { offsetsMs: [platform.maxClockSkewMs + 1000], reason: policy.dlqReason, replayAtOffsetMs: 0 })",
      spec: ["platform"],
      tests: {
        main: "dead-letters records beyond the skew tolerance or the max age under the row's DLQ reason and stores the rest",
        replay:
          "replays a skewed record once the cloud clock agrees; a too-old one stays in the DLQ",
      },
    }),
  },
  {
    id: "checksum-mismatch",
    fits: (fm) =>
      signal(fm, "validation", "CHECKSUM_MISMATCH") &&
      fm.mitigation.policy.checksum !== undefined &&
      dlq(fm),
    view: () => ({
      kit: ["corruptChecksum", "isStored"],
      detectionRun: "corruptChecksum(kit, { records: 3, crcDelta: 0x10 })",
      tests: {
        main: "dead-letters a batch whose records do not match its checksum whole; nothing is stored",
      },
    }),
  },
];

/** The one scenario that fits `fm`; throws naming the row when none or several do. */
export function scenarioFor(fm: FailureModeModel): Scenario {
  const fits = SCENARIOS.filter((s) => s.fits(fm));
  const where = `${fm.location.file}:${fm.location.line}:${fm.location.column}`;
  const what = `signal ${fm.detection.signal.kind} ${fm.detection.signal.code}, dlqReason ${fm.mitigation.policy.dlqReason ?? "none"}, policy keys [${Object.keys(fm.mitigation.policy).sort().join(", ")}]`;
  if (fits.length === 0) {
    throw new Error(
      `handlers fmea-tests emitter: ${where}: ${fm.id} ${fm.name} (owner handlers): no fault-injection scenario fits ${what}; add one to runtime/src/handlers/testing/scenarios.ts and generator/emit/handlers/fmea-tests.ts`,
    );
  }
  if (fits.length > 1) {
    throw new Error(
      `handlers fmea-tests emitter: ${where}: ${fm.id} ${fm.name}: several scenarios fit ${what}: ${fits.map((s) => s.id).join(", ")}`,
    );
  }
  return fits[0]!;
}

/** `FM-08-dynamodb-throttling.test.ts`. */
const fileName = (fm: FailureModeModel) => `${fm.id}-${fm.slug}.test.ts`;
const describeName = (fm: FailureModeModel) => `${fm.id} ${fm.name}`;

/** `handlers/test/fmea/harness.ts`: the generated handlers and spec-shaped payloads for the kit. */
function emitHarness(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const { record, batch } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const imports = new ImportCollector();
  imports.use("node:zlib", "crc32");
  imports.use(SPEC, record.message.tsName);
  imports.use(SPEC, batch.message.tsName);
  imports.use(KIT, "HandlersUnderTest", true);
  const replayFactory = `create${camel(rows.replayName)[0]!.toUpperCase()}${camel(rows.replayName).slice(1)}`;
  for (const n of [record.factoryName, batch.factoryName, replayFactory])
    imports.use("../../src/pipelines.js", n);
  imports.use("../../src/policy.js", "downstreamPolicy");
  imports.use("../../src/policy.js", "handlerMetrics");
  const topic = (channelId: string) => {
    const channel = ctx.model.channels.find((c) => c.id === channelId)!;
    let s = channel.address;
    for (const p of channel.parameters) s = s.replace(`{${p.name}}`, p.example);
    return s;
  };
  const param = vehicleParameter(ctx.model, record);
  const channel = ctx.model.channels.find((c) => c.id === record.channelId)!;
  const content = t.render("fmea-harness.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    recordTopic: topic(record.channelId),
    batchTopic: topic(batch.channelId),
    vehicleId: channel.parameters.find((p) => p.name === param)!.example,
    record: { ...record, fields: recordFields(ctx.model, record.message, param) },
    batch: {
      ...batch,
      fields: {
        ...batchFields(ctx.model, batch.message, vehicleParameter(ctx.model, batch)),
        time: timeField(batch.message).path,
      },
    },
    factories: { record: record.factoryName, batch: batch.factoryName, replay: replayFactory },
  });
  return { path: "handlers/test/fmea/harness.ts", content };
}

/** One `handlers/test/fmea/FM-xx-<slug>.test.ts`: the row's fault injected, its mitigation asserted. */
function emitHandlerModeTest(
  ctx: EmitContext,
  t: TemplateSet,
  fm: FailureModeModel,
): GeneratedFile {
  const scenario = scenarioFor(fm);
  const view = scenario.view(fm, ctx.model);
  const imports = new ImportCollector();
  for (const n of ["afterAll", "beforeAll", "describe", "expect", "it"]) imports.use("vitest", n);
  imports.use(KIT, "startScenarioKit");
  imports.use(KIT, "dlqReasonOf");
  imports.use(KIT, "ScenarioKit", true);
  for (const n of view.kit) imports.use(KIT, n);
  imports.use(SPEC, fm.key);
  for (const n of view.spec ?? []) imports.use(SPEC, n);
  for (const n of view.policy ?? []) imports.use("../../src/policy.js", n);
  imports.use("./harness.js", "harness");
  // The row's alarm metric, when the handlers emit it (some are AWS/Lambda metrics).
  const alarm = fm.detection.alarm;
  const role = METRIC_ROLES.find((r) => r.metric === alarm.metric);
  const detection = role && view.detectionRun !== undefined;
  if (detection) imports.use(SPEC, "metrics");
  const dims = Object.entries(alarm.dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const describe = describeName(fm);
  const content = t.render("fmea-handler.test.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    fm: { id: fm.id, key: fm.key, name: fm.name, describe, mitigation: fm.mitigation.description },
    scenario: scenario.id,
    alarm: detection
      ? {
          run: view.detectionRun,
          test: `detection: counts ${alarm.metric}${dims ? ` {${dims}}` : ""}, the metric of the row's alarm`,
        }
      : false,
    extra: view.extra ?? {},
    tests: view.tests,
    hasMain: view.tests.main !== undefined,
  });
  return {
    path: `handlers/test/fmea/${fileName(fm)}`,
    content,
    traces: [
      { failureMode: fm.id, kind: "test", symbol: `${fileName(fm)}: describe("${describe}")` },
    ],
  };
}

/** One `infra/test/fmea/FM-xx-<slug>.test.ts` of `it.todo` per manual response step. */
function emitManualModeTest(t: TemplateSet, fm: FailureModeModel): GeneratedFile {
  const imports = new ImportCollector();
  imports.use("vitest", "describe");
  imports.use("vitest", "it");
  const describe = describeName(fm);
  const reason = JSON.stringify(
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
    steps: fm.response.map((s, i) => JSON.stringify(`step ${i + 1}: ${s}`)),
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
 * The failure-mode tests: per handlers-owned row a vitest file that injects the row's fault
 * through the runtime's test kit and asserts its mitigation with the row's own figures; per
 * row owned by operations or recovered manually, an `it.todo` per response step in the infra
 * package (the procedure is run by people; the test names it and says why it is skipped).
 */
export function emitFmeaTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const t = loadTemplates(templatesRoot, "handlers");
  const handlers = ctx.model.failureModes.filter((f) => f.owner === "handlers");
  const manual = ctx.model.failureModes.filter(
    (f) => f.owner === "operations" || f.recovery.mode === "manual",
  );
  const files: GeneratedFile[] = [];
  if (handlers.length > 0) {
    files.push(emitHarness(ctx, t));
    for (const fm of handlers) files.push(emitHandlerModeTest(ctx, t, fm));
  }
  for (const fm of manual) files.push(emitManualModeTest(t, fm));
  return files;
}
