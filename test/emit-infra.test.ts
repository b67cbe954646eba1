import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { alarmMetric } from "../generator/emit/infra/alarm-metric.js";
import {
  alarmTable,
  alarmTraces,
  failureModeAlarmName,
} from "../generator/emit/infra/alarm-table.js";
import { dashboard, slaPercentile } from "../generator/emit/infra/dashboard.js";
import { functions } from "../generator/emit/infra/functions.js";
import { emitInfra } from "../generator/emit/infra/index.js";
import { iotPolicy, policyTopic } from "../generator/emit/infra/iot-policy.js";
import { topicRuleSql, topicRules } from "../generator/emit/infra/topic-rules.js";
import type { GeneratedFile } from "../generator/emit/types.js";
import type { AlarmModel, Model } from "../generator/model/types.js";
import { defaultOptions } from "../generator/options.js";
import { generate } from "../generator/pipeline.js";
import { REPO } from "./support/spec-fixture.js";

let model: Model;
let files: GeneratedFile[];

beforeAll(async () => {
  const r = await generate(defaultOptions(REPO));
  expect(r.ok).toBe(true);
  model = r.model!;
  // The infra package, less the per-failure-mode todo tests another emitter adds to it.
  files = r.files.filter(
    (f) => f.path.startsWith("infra/") && !f.path.startsWith("infra/test/fmea/"),
  );
});

const alarm = (over: Partial<AlarmModel>): AlarmModel => ({
  metric: "dynamodb.throttled_requests",
  dimensions: {},
  statistic: "Sum",
  comparison: "GreaterThanThreshold",
  threshold: 0,
  periodS: 60,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: "notBreaching",
  ...over,
});

describe("topic rules", () => {
  it("derives the SQL from the channel filter", () => {
    expect(topicRuleSql("v2c/v1/+/+/telemetry/vehicle")).toBe(
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM 'v2c/v1/+/+/telemetry/vehicle'",
    );
  });

  it("creates one rule per send operation with a handler, none for receive operations", () => {
    const sends = model.operations.filter((o) => o.action === "send" && o.handler);
    expect(topicRules(model).map((r) => [r.operationId, r.handler])).toEqual(
      sends.map((o) => [o.id, o.handler!.name]),
    );
    for (const r of topicRules(model)) {
      const channel = model.channels.find((c) => c.id === r.channelId)!;
      expect(r.sql.endsWith(`FROM '${channel.filter}'`)).toBe(true);
    }
  });
});

describe("IoT policy", () => {
  it("puts the thing name in place of the vehicle and * for the region", () => {
    const channel = model.channels.find((c) => c.id === "vehicleCommand")!;
    expect(policyTopic(channel, "vehicle_id")).toBe(
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/command",
    );
  });

  it("publishes on send channels only and subscribes/receives on receive channels only", () => {
    const p = iotPolicy(model);
    expect(p.vehicleParameter).toBe("vehicle_id");
    expect(p.publishTopics).toEqual([
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/telemetry/vehicle",
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/telemetry/batch",
    ]);
    expect(p.subscribeTopicFilters).toEqual(["v2c/v1/*/${iot:Connection.Thing.ThingName}/command"]);
    expect(p.receiveTopics).toEqual(p.subscribeTopicFilters);
  });

  it("refuses a channel without the vehicle parameter (a vehicle could not be confined)", () => {
    const channels = model.channels.map((c) =>
      c.id === "vehicleCommand"
        ? {
            ...c,
            address: "v2c/v1/{region}/broadcast",
            parameters: c.parameters.filter((p) => p.name !== "vehicle_id"),
          }
        : c,
    );
    expect(() => iotPolicy({ ...model, channels })).toThrow(/no \{vehicle_id\} parameter/);
  });
});

describe("alarm metrics", () => {
  it("watches a plain metric with the row's statistic and dimensions", () => {
    expect(
      alarmMetric(
        model,
        alarm({ metric: "mqtt.connection.failure", dimensions: { reason_code: "0x97" } }),
      ),
    ).toEqual({
      kind: "metric",
      namespace: "V2C/Telemetry",
      metricName: "mqtt.connection.failure",
      dimensions: { reason_code: "0x97" },
      statistic: "Sum",
    });
  });

  it("uses the CloudWatch name of AWS metrics", () => {
    const m = alarmMetric(model, alarm({ metric: "lambda.throttles" }));
    expect(m).toMatchObject({ kind: "metric", namespace: "AWS/Lambda", metricName: "Throttles" });
  });

  it("turns rateOf into 100 * m / d, the denominator keeping only the dimensions it declares", () => {
    const m = alarmMetric(
      model,
      alarm({
        metric: "telemetry.rejected",
        dimensions: { reason: "PROTOBUF_PARSE" },
        rateOf: "telemetry.messages.received",
      }),
    );
    expect(m).toEqual({
      kind: "math",
      expression: "100 * m / d",
      label: "telemetry.rejected as % of telemetry.messages.received",
      metrics: {
        m: {
          namespace: "V2C/Telemetry",
          metricName: "telemetry.rejected",
          dimensions: { reason: "PROTOBUF_PARSE" },
          statistic: "Sum",
        },
        d: {
          namespace: "V2C/Telemetry",
          metricName: "telemetry.messages.received",
          dimensions: {},
          statistic: "Sum",
        },
      },
    });
  });

  it("computes a ratio metric from its numerator and denominator (summed)", () => {
    const m = alarmMetric(
      model,
      alarm({ metric: "telemetry.duplicate_rate", statistic: "Average" }),
    );
    expect(m).toMatchObject({
      kind: "math",
      expression: "100 * n / d",
      metrics: {
        n: { metricName: "telemetry.duplicates", statistic: "Sum" },
        d: { metricName: "telemetry.messages.received", statistic: "Sum" },
      },
    });
  });
});

describe("alarm table", () => {
  it("has one alarm per failure mode with a metric detection plus the seed's alert triggers", () => {
    const table = alarmTable(model);
    expect(table).toHaveLength(model.failureModes.length + model.alerts.length);
    expect(table.filter((a) => a.kind === "alert").map((a) => a.name)).toEqual(
      model.alerts.map((a) => a.id),
    );
  });

  it("names failure-mode alarms by id and slug, and copies the row's figures", () => {
    const fm = model.failureModes.find((f) => f.id === "FM-08")!;
    expect(failureModeAlarmName(fm)).toBe("FM-08-dynamodb-throttling");
    const row = alarmTable(model).find((a) => a.source === "FM-08")!;
    const d = fm.detection.alarm;
    expect(row).toMatchObject({
      name: "FM-08-dynamodb-throttling",
      audience: fm.notify,
      runbook: fm.runbook,
      comparison: d.comparison,
      threshold: d.threshold,
      periodS: d.periodS,
      evaluationPeriods: d.evaluationPeriods,
      datapointsToAlarm: d.datapointsToAlarm,
      treatMissingData: d.treatMissingData,
    });
  });

  it("emits one alarm trace per failure mode, symbol = alarm name", () => {
    const traces = alarmTraces(alarmTable(model));
    expect(traces).toHaveLength(model.failureModes.length);
    expect(traces).toContainEqual({
      failureMode: "FM-08",
      kind: "alarm",
      symbol: "FM-08-dynamodb-throttling",
    });
    const emitted = emitInfra(
      { model, protoTs: new Map() } as never,
      defaultOptions(REPO).templates,
    );
    const file = emitted.find((f) => f.path === "infra/src/alarm-definitions.ts")!;
    expect(file.traces).toEqual(traces);
  });
});

describe("functions and dashboard", () => {
  it("sizes processors from x-handler and adds the DLQ replay handler", () => {
    const fns = functions(model);
    expect(fns.map((f) => f.name)).toEqual([
      "telemetry-processor",
      "batch-processor",
      "dlq-replay-handler",
    ]);
    const op = model.operations.find((o) => o.id === "publishTelemetry")!;
    expect(fns[0]).toMatchObject({
      memoryMb: op.handler!.memoryMb,
      timeoutMs: op.handler!.timeoutMs,
      reservedConcurrency: op.handler!.reservedConcurrency,
    });
  });

  it("reads latency percentiles from the SLA names", () => {
    expect(slaPercentile("latency-p50")).toBe("p50");
    expect(slaPercentile("latency-p999")).toBe("p99.9");
    expect(slaPercentile("success-rate")).toBeUndefined();
    const latency = dashboard(model).latency.find((l) => l.operationId === "publishTelemetry")!;
    expect(latency.percentiles).toEqual([
      { statistic: "p50", slaMs: 100 },
      { statistic: "p99", slaMs: 500 },
      { statistic: "p99.9", slaMs: 2000 },
    ]);
  });
});

describe("emitted package", () => {
  it("is deterministic: two runs emit the same paths and bytes, each marked generated", () => {
    const emit = () =>
      emitInfra({ model, protoTs: new Map() } as never, defaultOptions(REPO).templates);
    const [a, b] = [emit(), emit()];
    expect(a.map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
    expect(b.map((f) => [f.path, f.content])).toEqual(a.map((f) => [f.path, f.content]));
    for (const f of files.filter((x) => /\.(ts|md)$/.test(x.path)))
      expect(f.content, f.path).toMatch(/DO NOT EDIT/);
  });

  it("prints no figure of the spec in the mechanism files (only spec.ts and alarm-definitions.ts)", () => {
    const runtimeLiteral = JSON.stringify(model.platform.lambdaRuntime);
    for (const f of files.filter((x) => x.path.startsWith("infra/src/"))) {
      const own = f.path.endsWith("/spec.ts");
      expect(f.content.includes(runtimeLiteral), f.path).toBe(own);
      expect(f.content.includes(String(model.platform.dlqRetentionMs)), f.path).toBe(own);
    }
  });

  it("types no import line in a template (imports come from the emitter)", () => {
    const dir = join(REPO, "templates", "infra");
    for (const t of readdirSync(dir)) {
      expect(readFileSync(join(dir, t), "utf8"), t).not.toMatch(/^import /m);
    }
  });
});
