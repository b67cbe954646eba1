import type { EmitContext, GeneratedFile, Trace } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, sourceList } from "../names.js";
import { loadTemplates, type TemplateSet } from "../templates.js";
import { RUNTIME, type PackageVersions } from "../spec/package.js";
import { emitHandlerTests } from "./tests.js";
import {
  batchCodecViews,
  downstreamViews,
  handlerViews,
  metricRoles,
  metricsNamespace,
  parserViews,
  policyRows,
  recordCodecViews,
} from "./views.js";
import { packageVersion } from "../../package-version.js";
import {
  CLOUD_DEPENDENCIES,
  LOCAL_ADAPTER_PEERS,
  manifestFiles,
  packageTsconfigContent,
} from "../package-manifest.js";

const SPEC = "@v2c/spec";
const H = `${RUNTIME}/handlers`;
const lit = (v: unknown) => JSON.stringify(v);

/** The sources most handlers files are generated from (named in their header). */
const SOURCES = sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml", "fmea/metrics.yaml"]);

/** Traces of every handlers-owned FMEA row applied by `symbol`. */
function mitigations(ctx: EmitContext, symbol: string): Trace[] {
  return ctx.model.failureModes
    .filter((f) => f.owner === "handlers")
    .map((f) => ({ failureMode: f.id, kind: "mitigation" as const, symbol }));
}

/** `src/policy.ts`: reason table, metric names by role, downstreams and per-handler policies. */
export function emitHandlerPolicy(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const rows = policyRows(ctx.model);
  const downstreams = downstreamViews(ctx.model);
  const handlers = handlerViews(ctx.model);
  const rowKeys = [
    ...rows.reasons.map((r) => r.row),
    ...rows.rowKeys.map((r) => r.key),
    ...downstreams.flatMap((d) => d.rows.map((r) => r.key)),
  ];
  for (const k of new Set(rowKeys)) imports.use(SPEC, k);
  imports.use(SPEC, "platform");
  imports.use(SPEC, "metrics");
  imports.use(`${H}/reasons`, "ReasonTable", true);
  imports.use(`${H}/metric-roles`, "HandlerMetricNames", true);
  for (const type of ["BatchHandlerPolicy", "DownstreamPolicy", "HandlerPolicy"])
    imports.use(`${H}/policy`, type, true);
  const content = t.render("policy.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    rows,
    metrics: metricRoles(ctx.model),
    namespace: lit(metricsNamespace(ctx.model)),
    downstreams,
    replayLiteral: lit(rows.replayName),
    handlers: handlers.map((h) => ({
      ...h,
      batch: h.kind === "batch",
      operationLiteral: lit(h.operationId),
      nameLiteral: lit(h.name),
      writes: lit(h.operation.handler!.writes),
      dedup: h.operation.handler!.dedup ? lit(h.operation.handler!.dedup) : "",
      dedupWindowMs: h.operation.dedupWindowMs ?? 0,
      timeoutMs: h.operation.handler!.timeoutMs,
      maxCompressedBytes: h.operation.batch?.maxCompressedBytes ?? 0,
      maxDecompressedBytes: h.operation.batch?.maxDecompressedBytes ?? 0,
    })),
  });
  return {
    path: "handlers/src/policy.ts",
    content,
    traces: [
      ...rows.reasons.map((r) => ({
        failureMode: r.id,
        kind: "mitigation" as const,
        symbol: `reasons["${r.key}"]`,
      })),
      ...downstreams.flatMap((d) =>
        d.rows.map((r) => ({
          failureMode: r.id,
          kind: "mitigation" as const,
          symbol: `downstreamPolicy.downstreams["${d.id}"]`,
        })),
      ),
      ...rows.rowKeys.map((r) => ({
        failureMode: r.id,
        kind: "mitigation" as const,
        symbol: "handler policies",
      })),
    ],
  };
}

/** `src/codecs.ts`: decoders, generated checks, envelope-role accessors and topic parsers. */
export function emitHandlerCodecs(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const records = recordCodecViews(ctx.model);
  const batches = batchCodecViews(ctx.model);
  const parsers = parserViews(ctx.model);
  for (const c of [...records, ...batches]) {
    imports.use(SPEC, c.message.tsName);
    imports.use(SPEC, c.checker);
  }
  for (const p of parsers) imports.use(SPEC, p.topicConst);
  if (records.length + batches.length > 0) imports.use(SPEC, "messages");
  if (records.length > 0) {
    imports.use(`${H}/codec`, "toTimeSeriesRecord");
    imports.use(`${H}/codec`, "EnumCheck");
    imports.use(`${H}/codec`, "RecordCodec", true);
  }
  if (batches.length > 0) imports.use(`${H}/codec`, "BatchCodec", true);
  const content = t.render("codecs.ts", {
    sources: sourceList([
      "asyncapi.yaml",
      ...new Set([...records, ...batches].map((c) => c.message.protoFile)),
    ]),
    imports: imports.lines(),
    parsers: parsers.map((p) => ({ ...p, paramLiteral: lit(p.param) })),
    records: records.map((r) => ({
      ...r,
      idLiteral: lit(r.message.id),
      paramLiteral: lit(r.param),
      enumRoot: lit(r.message.protoName),
      enumTable: JSON.stringify(r.message.enumFields ?? {}),
    })),
    batches: batches.map((b) => ({ ...b, idLiteral: lit(b.message.id) })),
  });
  return { path: "handlers/src/codecs.ts", content };
}

/** `src/event.ts`: the rule event type and the rule SQL of each handler. */
export function emitHandlerEvent(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  imports.use(`${H}/event`, "RuleEvent", true);
  imports.use(`${H}/event`, "ruleSql");
  imports.use(SPEC, "channels");
  const content = t.render("event.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: imports.lines(),
    handlers: handlerViews(ctx.model),
  });
  return { path: "handlers/src/event.ts", content };
}

/** `src/pipelines.ts`: a factory per handler binding policy, codecs and topic parser to any ports. */
export function emitHandlerPipelines(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  imports.use(`${H}/handlers`, "RuleEventHandler", true);
  imports.use(`${H}/replay`, "replayDeadLetters");
  for (const type of ["ReplayRequest", "ReplayRoutes", "ReplaySummary"])
    imports.use(`${H}/replay`, type, true);
  imports.use(`${H}/breakers`, "CircuitBreakers", true);
  imports.use(`${H}/event`, "InvocationContext", true);
  imports.use(`${H}/ports`, "HandlerPorts", true);
  for (const h of handlers) {
    imports.use(`${H}/handlers`, h.kind === "batch" ? "createBatchHandler" : "createRecordHandler");
    imports.use(`${H}/codec`, "RecordCodec", true);
    if (h.kind === "batch") imports.use(`${H}/codec`, "BatchCodec", true);
    for (const n of [h.recordCodec, h.batchCodec, h.parserName])
      if (n) imports.use("./codecs.js", n);
    imports.use("./policy.js", h.policyName);
  }
  for (const n of ["handlerMetrics", "replayPolicy"]) imports.use("./policy.js", n);
  const content = t.render("pipelines.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    handlers: handlers.map((h) => ({
      ...h,
      batch: h.kind === "batch",
      operationLiteral: lit(h.operationId),
    })),
    replay: { name: rows.replayName, factoryName: rows.replayFactory },
  });
  return { path: "handlers/src/pipelines.ts", content, traces: mitigations(ctx, "pipelines") };
}

/** `src/lambda/<name>.ts`: one function entry per handler on the AWS adapters, plus the replay. */
export function emitLambdaEntries(ctx: EmitContext, t: TemplateSet): GeneratedFile[] {
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const first = handlers[0]?.operation.handler;
  const entries = [
    ...handlers.map((h) => ({
      name: h.name,
      factoryName: h.factoryName,
      operationId: h.operationId,
      dedup: h.operation.handler!.dedup,
      deadLetter: h.operation.handler!.deadLetter,
    })),
    {
      name: rows.replayName,
      factoryName: rows.replayFactory,
      operationId: "",
      // The replay re-runs every handler's messages: the first handler's dedup and DLQ.
      dedup: handlers.find((h) => h.operation.handler!.dedup)?.operation.handler!.dedup,
      deadLetter: first?.deadLetter ?? "",
    },
  ];
  return entries.map((e) => {
    const imports = new ImportCollector();
    imports.use(`${H}/aws-ports`, "createAwsPorts");
    imports.use(`${H}/breakers`, "CircuitBreakers");
    imports.use("../pipelines.js", e.factoryName);
    for (const n of ["downstreamPolicy", "handlerMetrics", "metricsNamespace"])
      imports.use("../policy.js", n);
    const owned = ctx.model.failureModes.filter((f) => f.owner === "handlers");
    return {
      path: `handlers/src/lambda/${e.name}.ts`,
      content: t.render("lambda.ts", {
        sources: SOURCES,
        imports: imports.lines(),
        ...e,
        dedup: e.dedup ? lit(e.dedup) : "",
        deadLetter: lit(e.deadLetter),
        nameLiteral: lit(e.name),
      }),
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
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  imports.use(`${H}/local-ports`, "createLocalPorts");
  imports.use(`${H}/local-ports`, "LocalPorts", true);
  imports.use(`${H}/breakers`, "CircuitBreakers");
  imports.use(`${H}/ports`, "HandlerLogger", true);
  imports.use(`${H}/handlers`, "RuleEventHandler", true);
  imports.use(SPEC, "platform");
  for (const n of [...handlers.map((h) => h.factoryName), rows.replayFactory])
    imports.use("./pipelines.js", n);
  imports.use("./policy.js", "downstreamPolicy");
  imports.use("./policy.js", "handlerMetrics");
  const content = t.render("local.ts", {
    sources: SOURCES,
    imports: imports.lines(),
    handlers: handlers.map((h) => ({
      prop: camel(h.name),
      factoryName: h.factoryName,
      name: h.name,
      operationId: h.operationId,
      operationLiteral: lit(h.operationId),
    })),
    replay: {
      prop: camel(rows.replayName),
      factoryName: rows.replayFactory,
      name: rows.replayName,
    },
  });
  return { path: "handlers/src/local.ts", content };
}

/** package.json and tsconfig.build.json of the handlers package (the cloud's dependencies only). */
function handlersManifest(ctx: EmitContext, versions: PackageVersions, names: readonly string[]) {
  return manifestFiles("handlers", {
    name: "@v2c/handlers",
    version: ctx.model.info.version,
    description: `Generated cloud handlers of the ${ctx.model.info.title} spec (one per handled operation, plus the dead-letter replay). ESM only. DO NOT EDIT.`,
    entryPoints: {
      ".": "index",
      "./local": "local",
      ...Object.fromEntries(names.map((n) => [`./lambda/${n}`, `lambda/${n}`])),
    },
    dependencies: {
      "@v2c/runtime": versions.runtime,
      "@v2c/spec": ctx.model.info.version,
      ...Object.fromEntries(CLOUD_DEPENDENCIES.map((d) => [d, packageVersion(d)])),
    },
    peerDependencies: Object.fromEntries(LOCAL_ADAPTER_PEERS.map((d) => [d, packageVersion(d)])),
    optionalPeers: LOCAL_ADAPTER_PEERS,
  });
}

/** package.json, tsconfig.json, README.md and src/index.ts of the handlers package. */
export function emitHandlersPackage(
  ctx: EmitContext,
  t: TemplateSet,
  versions: PackageVersions,
): GeneratedFile[] {
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const names = [...handlers.map((h) => h.name), rows.replayName];
  // npm manifest (generator/emit/package-manifest.ts): named entry points, dist, files, engines.
  const manifest = handlersManifest(ctx, versions, names);
  return [
    ...manifest,
    {
      path: "handlers/tsconfig.json",
      content: packageTsconfigContent(["src", "test"]),
    },
    {
      path: "handlers/README.md",
      content: t.render("README.md", {
        sources: sourceList(ctx.model.sources),
        title: ctx.model.info.title,
        handlers: handlers.map((h) => ({ name: h.name, operationId: h.operationId, kind: h.kind })),
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

/** Every file of the generated handlers package (none when no operation has `x-handler`). */
export function emitHandlers(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  if (handlerViews(ctx.model).length === 0) return [];
  const t = loadTemplates(templatesRoot, "handlers");
  return [
    ...emitHandlersPackage(ctx, t, versions),
    emitHandlerPolicy(ctx, t),
    emitHandlerCodecs(ctx, t),
    emitHandlerEvent(ctx, t),
    emitHandlerPipelines(ctx, t),
    ...emitLambdaEntries(ctx, t),
    emitLocalEntry(ctx, t),
    ...emitHandlerTests(ctx, t),
  ];
}
