import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { alarmTable, alarmTraces } from "./alarm-table.js";
import { customNamespace, dashboard } from "./dashboard.js";
import { deployOptions } from "./deploy-options.js";
import { DEFAULT_REPLAY_NAME, functions } from "./functions.js";
import { iotPolicy } from "./iot-policy.js";
import { replyRules, stores, topicRules } from "./topic-rules.js";

/** `src/spec.ts`: every figure of the spec the construct uses, printed as literals. */
export function emitInfraSpec(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const m = ctx.model;
  const imports = new ImportCollector();
  const types = {
    functionSpec: imports.use("./types.js", "FunctionSpec", true),
    topicRuleSpec: imports.use("./types.js", "TopicRuleSpec", true),
    replyRuleSpec: imports.use("./types.js", "ReplyRuleSpec", true),
    iotPolicySpec: imports.use("./types.js", "IotPolicySpec", true),
    dashboardSpec: imports.use("./types.js", "DashboardSpec", true),
    storeSpec: imports.use("./types.js", "StoreSpec", true),
  };
  const views = functions(m);
  const fns = views.map((f) => ({
    name: f.name,
    operationId: f.operationId ?? null,
    memoryMb: f.memoryMb,
    timeoutMs: f.timeoutMs,
    reservedConcurrency: f.reservedConcurrency ?? null,
    role: f.role,
    async: f.async,
    writes: f.writes,
    dedup: f.dedup ?? null,
    deadLetter: f.deadLetter ?? null,
  }));
  const options = deployOptions(m);
  const content = loadTemplates(templatesRoot, "infra").render("spec.ts", {
    sources: sourceList(["asyncapi.yaml", "fmea/alerts.yaml", "fmea/metrics.yaml"]),
    imports: imports.lines(),
    types,
    lambdaRuntime: JSON.stringify(m.platform.lambdaRuntime),
    metricsNamespace: JSON.stringify(customNamespace(m)),
    dlqRetentionMs: String(m.platform.dlqRetentionMs),
    timeSeriesMemoryRetentionMs: String(m.platform.timeSeriesMemoryRetentionMs),
    logRetentionDays: String(options.logRetentionDays),
    runbookBaseUrl: JSON.stringify(options.runbookBaseUrl ?? null),
    functionsDoc: `One function per handled operation's x-handler, plus the DLQ replay function (x-v2c.replay; default name ${DEFAULT_REPLAY_NAME}, the largest handler's memory, Lambda's maximum timeout).`,
    functions: literal(fns),
    stores: literal(stores(m, views)),
    topicRules: literal(topicRules(m)),
    replyRules: literal(replyRules(m)),
    audiences: literal(m.audiences.map((a) => ({ id: a.id, description: a.description }))),
    iotPolicyDoc:
      "Vehicle IoT policy resources: the thing-name variable in place of the vehicle parameter, `*` for the others.",
    iotPolicy: literal(iotPolicy(m)),
    dashboardDoc:
      "Dashboard widgets: throughput, error breakdown, latency percentiles with their SLAs.",
    dashboard: literal(dashboard(m)),
  });
  return { path: "infra/src/spec.ts", content };
}

/** `src/alarm-definitions.ts`: the alarm table; carries one `alarm` trace per failure mode. */
export function emitAlarmDefinitions(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const imports = new ImportCollector();
  const alarmType = imports.use("./types.js", "AlarmDefinition", true);
  const table = alarmTable(ctx.model);
  const content = loadTemplates(templatesRoot, "infra").render("alarm-definitions.ts", {
    sources: sourceList(["fmea/failure-modes.yaml", "fmea/alerts.yaml", "fmea/metrics.yaml"]),
    imports: imports.lines(),
    alarmType,
    failureModeCount: table.filter((a) => a.kind === "failure-mode").length,
    alertCount: table.filter((a) => a.kind === "alert").length,
    definitions: literal(table),
  });
  return { path: "infra/src/alarm-definitions.ts", content, traces: alarmTraces(table) };
}
