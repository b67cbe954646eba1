import type { EmitContext, GeneratedFile, Trace } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, sourceList } from "../names.js";
import { loadTemplates, type TemplateSet } from "../templates.js";
import { RUNTIME, type PackageVersions } from "../spec/package.js";
import { emitHandlerTests } from "./tests.js";
import {
  batchFields,
  handlerViews,
  metricRoles,
  policyRows,
  recordFields,
  vehicleParameter,
} from "./views.js";

const SPEC = "@v2c/spec";
const H = `${RUNTIME}/handlers`;

/** The sources most handlers files are generated from (named in their header). */
const SOURCES = sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml", "fmea/metrics.yaml"]);

/** Traces of every handlers-owned FMEA row applied by `symbol`. */
function mitigations(ctx: EmitContext, symbol: string): Trace[] {
  return ctx.model.failureModes
    .filter((f) => f.owner === "handlers")
    .map((f) => ({ failureMode: f.id, kind: "mitigation" as const, symbol }));
}

/** `src/policy.ts`: DLQ reasons, metric names, per-handler and downstream policies from the FMEA rows and the contract. */
export function emitHandlerPolicy(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const rows = policyRows(ctx.model);
  const { all } = handlerViews(ctx.model);
  for (const k of new Set([
    ...rows.reasons.map((r) => r.key),
    rows.retry,
    rows.unprocessedRetry,
    rows.dynamoBreaker,
    rows.timeSeriesBreaker,
    rows.timeouts,
    rows.deadline,
  ])) {
    imports.use(SPEC, k);
  }
  imports.use(SPEC, "operations");
  imports.use(SPEC, "platform");
  imports.use(SPEC, "metrics");
  imports.use(`${H}/failure`, "VALIDATION_REASONS");
  for (const type of ["FailureClass", "ReasonSpec"]) imports.use(`${H}/failure`, type, true);
  for (const type of [
    "BatchTelemetryPolicy",
    "DownstreamPolicy",
    "HandlerMetricNames",
    "TelemetryPolicy",
  ]) {
    imports.use(`${H}/policy`, type, true);
  }
  const content = t.render("policy.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    rows,
    metrics: metricRoles(ctx.model),
    namespaceMetric: metricRoles(ctx.model)[0]!.metric,
    handlers: all.map((h) => ({ ...h, batch: h.kind === "batch" })),
  });
  return {
    path: "handlers/src/policy.ts",
    content,
    traces: [
      ...rows.reasons.map((r) => ({
        failureMode: r.id,
        kind: "mitigation" as const,
        symbol: `reasons["${r.failureClass}"]`,
      })),
      { failureMode: "FM-08", kind: "mitigation", symbol: "downstreamPolicy" },
      { failureMode: "FM-10", kind: "mitigation", symbol: "dedupWindowMs" },
    ],
  };
}

/** `src/codecs.ts`: decode/validate bindings of the proto types, checkers and topic templates. */
export function emitHandlerCodecs(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const { record, batch } = handlerViews(ctx.model);
  const recordParam = vehicleParameter(ctx.model, record);
  const batchParam = vehicleParameter(ctx.model, batch);
  for (const h of [record, batch]) {
    imports.use(SPEC, h.message.tsName);
    imports.use(SPEC, `${camel(h.message.id)}Checker`);
    imports.use(SPEC, h.topicConst);
  }
  imports.use(SPEC, "messages");
  imports.use(`${H}/codec`, "toTimeSeriesRecord");
  imports.use(`${H}/codec`, "BatchCodec", true);
  imports.use(`${H}/codec`, "RecordCodec", true);
  const rf = recordFields(ctx.model, record.message, recordParam);
  const content = t.render("codecs.ts", {
    sources: sourceList([
      "asyncapi.yaml",
      "fmea/failure-modes.yaml",
      record.message.protoFile,
      batch.message.protoFile,
    ]),
    imports: imports.lines(),
    record: {
      ...record,
      codecName: `${camel(record.message.id)}Codec`,
      checker: `${camel(record.message.id)}Checker`,
      param: recordParam,
      fields: rf,
      exclude: JSON.stringify([rf.timestampMs]),
    },
    batch: {
      ...batch,
      codecName: `${camel(batch.message.id)}Codec`,
      checker: `${camel(batch.message.id)}Checker`,
      param: batchParam,
      fields: batchFields(ctx.model, batch.message, batchParam),
    },
  });
  return {
    path: "handlers/src/codecs.ts",
    content,
    traces: [
      {
        failureMode: "FM-07",
        kind: "detection",
        symbol: `${camel(record.message.id)}Codec.decode`,
      },
      {
        failureMode: "FM-21",
        kind: "detection",
        symbol: `${camel(record.message.id)}Codec.timestampMs`,
      },
      {
        failureMode: "FM-22",
        kind: "detection",
        symbol: `${camel(batch.message.id)}Codec.checksum`,
      },
    ],
  };
}

/** `src/event.ts`: the IoT rule event type and the rule SQL of each handler. */
export function emitHandlerEvent(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  imports.use(`${H}/event`, "RuleEvent", true);
  imports.use(`${H}/event`, "ruleSql");
  imports.use(SPEC, "channels");
  const { all } = handlerViews(ctx.model);
  const content = t.render("event.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: imports.lines(),
    handlers: all,
  });
  return { path: "handlers/src/event.ts", content };
}

/** `src/pipelines.ts`: handler factories binding policies, codecs and topic parsers to any ports. */
export function emitHandlerPipelines(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const { record, batch } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  imports.use(`${H}/handlers`, "createRecordHandler");
  imports.use(`${H}/handlers`, "createBatchHandler");
  imports.use(`${H}/handlers`, "RuleEventHandler", true);
  imports.use(`${H}/replay`, "replayDeadLetters");
  for (const type of ["ReplayRequest", "ReplayRoutes", "ReplaySummary"])
    imports.use(`${H}/replay`, type, true);
  imports.use(`${H}/breakers`, "CircuitBreakers", true);
  imports.use(`${H}/event`, "InvocationContext", true);
  imports.use(`${H}/ports`, "HandlerPorts", true);
  imports.use(SPEC, record.message.tsName, true);
  imports.use(SPEC, batch.message.tsName, true);
  for (const n of [
    `${camel(record.message.id)}Codec`,
    `${camel(batch.message.id)}Codec`,
    record.parserName,
    batch.parserName,
  ]) {
    imports.use("./codecs.js", n);
  }
  for (const n of [record.policyName, batch.policyName, "handlerMetrics", "replayPolicy"])
    imports.use("./policy.js", n);
  const content = t.render("pipelines.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    record: { ...record, codecName: `${camel(record.message.id)}Codec` },
    batch: { ...batch, codecName: `${camel(batch.message.id)}Codec` },
    replay: {
      name: rows.replayName,
      factoryName: `create${camel(rows.replayName)[0]!.toUpperCase()}${camel(rows.replayName).slice(1)}`,
    },
  });
  return { path: "handlers/src/pipelines.ts", content, traces: mitigations(ctx, "pipelines") };
}

/** `src/lambda/<name>.ts`: one Lambda entry per handler on the AWS adapters, plus the manual circuit reset. */
export function emitLambdaEntries(ctx: EmitContext, t: TemplateSet): GeneratedFile[] {
  const { all } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const replayFactory = `create${camel(rows.replayName)[0]!.toUpperCase()}${camel(rows.replayName).slice(1)}`;
  const entries = [
    ...all.map((h) => ({
      name: h.name,
      factoryName: h.factoryName,
      operationId: h.operationId,
      replay: false,
    })),
    { name: rows.replayName, factoryName: replayFactory, operationId: "", replay: true },
  ];
  return entries.map((e) => {
    const imports = new ImportCollector();
    imports.use(`${H}/aws-ports`, "createAwsPorts");
    imports.use(`${H}/breakers`, "CircuitBreakers");
    imports.use(`${H}/breakers`, "GuardedDownstream", true);
    imports.use("../pipelines.js", e.factoryName);
    for (const n of ["downstreamPolicy", "handlerMetrics", "metricsNamespace"])
      imports.use("../policy.js", n);
    const owned = ctx.model.failureModes.filter((f) => f.owner === "handlers");
    return {
      path: `handlers/src/lambda/${e.name}.ts`,
      content: t.render("lambda.ts", { sources: SOURCES, imports: imports.lines(), ...e }),
      traces: owned.map((f) => ({
        failureMode: f.id,
        kind: "mitigation" as const,
        symbol: `${e.name}.handler`,
      })),
    };
  });
}

/** `src/local.ts`: the same handlers on the SQLite/filesystem adapters (local pipeline, tests, bench). */
export function emitLocalEntry(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const { record, batch } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const replayFactory = `create${camel(rows.replayName)[0]!.toUpperCase()}${camel(rows.replayName).slice(1)}`;
  imports.use(`${H}/local-ports`, "createLocalPorts");
  imports.use(`${H}/local-ports`, "LocalPorts", true);
  imports.use(`${H}/breakers`, "CircuitBreakers");
  imports.use(`${H}/ports`, "HandlerLogger", true);
  imports.use(`${H}/handlers`, "RuleEventHandler", true);
  imports.use(SPEC, "platform");
  for (const n of [record.factoryName, batch.factoryName, replayFactory])
    imports.use("./pipelines.js", n);
  imports.use("./policy.js", "downstreamPolicy");
  imports.use("./policy.js", "handlerMetrics");
  const content = t.render("local.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    handlers: [record, batch].map((h) => ({
      prop: camel(h.name),
      factoryName: h.factoryName,
      name: h.name,
    })),
    replay: { prop: camel(rows.replayName), factoryName: replayFactory, name: rows.replayName },
  });
  return { path: "handlers/src/local.ts", content };
}

/** package.json, tsconfig.json, README.md and src/index.ts of `@v2c/handlers`. */
export function emitHandlersPackage(
  ctx: EmitContext,
  t: TemplateSet,
  versions: PackageVersions,
): GeneratedFile[] {
  const { all } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const pkg = {
    name: "@v2c/handlers",
    version: ctx.model.info.version,
    private: true,
    description: `Generated Lambda handlers of the ${ctx.model.info.title} spec (telemetry, batch, DLQ replay). DO NOT EDIT.`,
    type: "module",
    exports: { ".": "./src/index.ts", "./lambda/*": "./src/lambda/*.ts", "./*": "./src/*.ts" },
    dependencies: { "@v2c/runtime": versions.runtime, "@v2c/spec": ctx.model.info.version },
  };
  const names = [...all.map((h) => h.name), rows.replayName];
  return [
    { path: "handlers/package.json", content: `${JSON.stringify(pkg, null, 2)}\n` },
    {
      path: "handlers/tsconfig.json",
      content: `${JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src", "test"] }, null, 2)}\n`,
    },
    {
      path: "handlers/README.md",
      content: t.render("README.md", {
        sources: sourceList(ctx.model.sources),
        title: ctx.model.info.title,
        handlers: all.map((h) => ({ name: h.name, operationId: h.operationId, kind: h.kind })),
        replayName: rows.replayName,
        failureModes: ctx.model.failureModes
          .filter((f) => f.owner === "handlers")
          .map((f) => ({ id: f.id, name: f.name })),
      }),
    },
    {
      path: "handlers/src/index.ts",
      content: t.render("index.ts", { sources: SOURCES, imports: [], names }),
    },
  ];
}

/** Every file of the generated `@v2c/handlers` package. */
export function emitHandlers(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const t = loadTemplates(templatesRoot, "handlers");
  return [
    ...emitHandlersPackage(ctx, t, versions),
    emitHandlerPolicy(ctx, t),
    emitHandlerCodecs(ctx, t),
    emitHandlerEvent(ctx, t),
    emitHandlerPipelines(ctx, t),
    ...emitLambdaEntries(ctx, t),
    emitLocalEntry(ctx, t),
    emitHandlerTests(ctx, t),
  ];
}
