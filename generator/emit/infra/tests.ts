import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { RUNTIME } from "../spec/package.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { alarmTable } from "./alarm-table.js";

/**
 * `test/pipeline.test.ts`: synthesizes the construct and checks it against `@v2c/spec` (every
 * alarm against its FMEA row, the IoT policy, retention, runtime, cdk-nag). Carries one `test`
 * trace per failure-mode alarm.
 */
export function emitInfraTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const imports = new ImportCollector();
  for (const s of ["mkdtempSync", "rmSync", "writeFileSync"]) imports.use("node:fs", s);
  imports.use("node:os", "tmpdir");
  imports.use("node:path", "join");
  for (const s of ["App", "Stack"]) imports.use("aws-cdk-lib", s);
  for (const s of ["Match", "Template"]) imports.use("aws-cdk-lib/assertions", s);
  for (const s of ["AlarmSpec", "MetricSpec"]) imports.use(`${RUNTIME}/spec-types`, s, true);
  imports.use("cdk-nag", "AwsSolutionsChecks");
  imports.use(`${RUNTIME}/deploy-env`, "DEDUP_TTL_ATTRIBUTE");
  imports.use(`${RUNTIME}/handlers/event`, "ruleSql");
  for (const s of [
    "alerts",
    "channels",
    "failureModes",
    "metrics",
    "operations",
    "platform",
    "servers",
  ]) {
    imports.use("@v2c/spec", s);
  }
  imports.use("@v2c/spec", "MetricName", true);
  for (const s of ["afterAll", "beforeAll", "describe", "expect", "it"]) imports.use("vitest", s);
  for (const s of [
    "DEDUP_PARTITION_KEY",
    "ON_FAILURE_QUEUES_ENV",
    "RECORDS_PARTITION_KEY",
    "TelemetryPipeline",
    "functions",
    "logRetention",
    "logRetentionDays",
    "stores",
  ]) {
    imports.use("../src/index.js", s);
  }
  for (const s of ["AudienceId", "FunctionName", "StoreId"])
    imports.use("../src/index.js", s, true);
  const content = loadTemplates(templatesRoot, "infra").render("pipeline.test.ts", {
    sources: sourceList(["fmea/failure-modes.yaml", "fmea/alerts.yaml", "asyncapi.yaml"]),
    imports: imports.lines(),
  });
  const traces = alarmTable(ctx.model)
    .filter((a) => a.kind === "failure-mode")
    .map((a) => ({
      failureMode: a.source,
      kind: "test" as const,
      symbol: `${a.source} ${a.title}: alarm matches its FMEA row and notifies ${a.audience}`,
    }));
  return [{ path: "infra/test/pipeline.test.ts", content, traces }];
}
