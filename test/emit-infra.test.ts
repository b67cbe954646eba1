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
import { deployOptions } from "../generator/emit/infra/deploy-options.js";
import {
  replyRules,
  stores,
  topicRuleSql,
  topicRules,
} from "../generator/emit/infra/topic-rules.js";
import { RULE_EVENT_FIELDS, ruleSql } from "../runtime/src/handlers/event.js";
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
  it("derives the SQL from the runtime's event field list (one source for the rule and the reader)", () => {
    const sql = topicRuleSql("a/+/b");
    expect(sql).toBe(ruleSql("a/+/b"));
    const aliases = [...sql.matchAll(/ AS (\w+)/g)].map((m) => m[1]);
    expect(aliases).toEqual(Object.keys(RULE_EVENT_FIELDS));
    expect(sql).toContain("timestamp() AS receivedAt");
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

describe("reply rules (request/reply on AWS)", () => {
  it("routes every receive operation's reply channel with the runtime's rule SQL, nothing else", () => {
    const withReply = model.operations.filter((o) => o.action === "receive" && o.reply);
    expect(withReply.length).toBeGreaterThan(0);
    expect(replyRules(model)).toEqual(
      withReply.map((o) => {
        const channel = model.channels.find((c) => c.id === o.reply!.channelId)!;
        return {
          operationId: o.id,
          channelId: channel.id,
          filter: channel.filter,
          sql: ruleSql(channel.filter),
        };
      }),
    );
    // The reply channels are not the handlers' channels: no handled operation's rule reads them.
    const handled = new Set(topicRules(model).map((r) => r.channelId));
    for (const r of replyRules(model)) expect(handled.has(r.channelId)).toBe(false);
  });

  it("has none when no receive operation declares a reply", () => {
    const operations = model.operations.map((o) => {
      const { reply: _reply, ...rest } = o;
      return rest;
    });
    expect(replyRules({ ...model, operations })).toEqual([]);
  });

  it("emits them into the infra package's spec data", () => {
    const spec = files.find((f) => f.path === "infra/src/spec.ts")!.content;
    for (const r of replyRules(model)) {
      expect(spec).toContain(`operationId: ${JSON.stringify(r.operationId)}`);
      expect(spec).toContain(`sql: ${JSON.stringify(r.sql)}`);
    }
    const rules = files.find((f) => f.path === "infra/src/topic-rules.ts")!.content;
    expect(rules).toContain("for (const spec of replyRules)");
  });
});

describe("IoT policy", () => {
  it("puts the thing name in place of the vehicle and * for the region", () => {
    const channel = model.channels.find((c) => c.id === "vehicleCommand")!;
    expect(policyTopic(channel, "vehicle_id")).toBe(
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/command",
    );
  });

  it("publishes on send and reply channels only and subscribes/receives on receive channels only", () => {
    const p = iotPolicy(model);
    expect(p.vehicleParameter).toBe("vehicle_id");
    expect(p.publishTopics).toEqual([
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/telemetry/vehicle",
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/telemetry/batch",
      "v2c/v1/*/${iot:Connection.Thing.ThingName}/command/result",
    ]);
    expect(p.subscribeTopicFilters).toEqual(["v2c/v1/*/${iot:Connection.Thing.ThingName}/command"]);
    expect(p.receiveTopics).toEqual(p.subscribeTopicFilters);
  });

  /** The model with one channel moved to `address`, its vehicle parameter gone. */
  const withoutVehicleParameter = (channelId: string, address: string) => ({
    ...model,
    channels: model.channels.map((c) =>
      c.id === channelId
        ? { ...c, address, parameters: c.parameters.filter((p) => p.name !== "vehicle_id") }
        : c,
    ),
  });

  it("lets every vehicle read a broadcast receive channel (no vehicle parameter), never write it", () => {
    const p = iotPolicy(withoutVehicleParameter("vehicleCommand", "v2c/v1/{region}/broadcast"));
    expect(p.subscribeTopicFilters).toContain("v2c/v1/*/broadcast");
    expect(p.receiveTopics).toContain("v2c/v1/*/broadcast");
    expect(p.publishTopics).not.toContain("v2c/v1/*/broadcast");
    expect(p.publishTopics.every((t) => t.includes(p.thingNameVariable))).toBe(true);
  });

  it("refuses a channel vehicles publish on without the vehicle parameter (the model reports it first)", () => {
    const edited = withoutVehicleParameter("vehicleTelemetry", "v2c/v1/{region}/telemetry/vehicle");
    expect(() => iotPolicy(edited)).toThrow(/no \{vehicle_id\} parameter/);
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
  it("sizes one function per handled operation from x-handler and adds the DLQ replay function", () => {
    const fns = functions(model);
    const handled = model.operations.filter((o) => o.action === "send" && o.handler);
    expect(fns.slice(0, -1).map((f) => f.name)).toEqual(handled.map((o) => o.handler!.name));
    expect(fns.at(-1)).toMatchObject({ role: "replay", async: false });
    handled.forEach((op, i) => {
      expect(fns[i]).toMatchObject({
        memoryMb: op.handler!.memoryMb,
        timeoutMs: op.handler!.timeoutMs,
        async: true,
      });
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

describe("any number of handled operations and stores", () => {
  /** The seed model with `n` copies of its first handled operation and extra store participants. */
  function widened(n: number): Model {
    const op = model.operations.find((o) => o.action === "send" && o.handler)!;
    const copies = Array.from({ length: n }, (_, i) => ({
      ...op,
      id: `${op.id}Copy${i}`,
      handler: { ...op.handler!, name: `copy-${i}`, writes: ["kv-extra"], dedup: "kv-extra" },
    }));
    return {
      ...model,
      operations: [...model.operations, ...copies],
      participants: [
        ...model.participants,
        { id: "kv-extra", name: "Extra table", kind: "key-value-store" },
        { id: "bucket-extra", name: "Extra bucket", kind: "object-store" },
      ],
    } as Model;
  }

  it("gives every handled operation its own function and rule, and the replay function last", () => {
    const m = widened(3);
    const fns = functions(m);
    for (let i = 0; i < 3; i++) {
      expect(fns.find((f) => f.name === `copy-${i}`)).toMatchObject({
        async: true,
        writes: ["kv-extra"],
      });
      expect(topicRules(m).find((r) => r.handler === `copy-${i}`)).toBeDefined();
    }
    expect(topicRules(m)).toHaveLength(fns.length - 1);
    expect(fns.at(-1)!.writes).toContain("kv-extra");
  });

  it("deploys each store participant by its kind and records what the functions use it for", () => {
    const m = widened(1);
    const views = stores(m, functions(m));
    expect(views.find((v) => v.id === "kv-extra")).toMatchObject({
      kind: "key-value-store",
      records: true,
      dedup: true,
    });
    expect(views.find((v) => v.id === "bucket-extra")).toMatchObject({ kind: "object-store" });
    const kinds = new Set(["key-value-store", "time-series-store", "object-store"]);
    expect(views.map((v) => v.id)).toEqual(
      m.participants.filter((p) => kinds.has(p.kind)).map((p) => p.id),
    );
  });

  it("dead-letters each function into its handler's dead-letter participant", () => {
    const fns = functions(widened(1));
    for (const op of model.operations.filter((o) => o.action === "send" && o.handler)) {
      expect(fns.find((f) => f.name === op.handler!.name)!.deadLetter).toBe(op.handler!.deadLetter);
    }
    expect(fns.at(-1)!.deadLetter).toBeDefined();
  });

  it("emits a package for a widened model whose spec.ts lists every function and store", () => {
    const m = widened(2);
    const out = emitInfra(
      { model: m, protoTs: new Map() } as never,
      defaultOptions(REPO).templates,
    );
    const spec = out.find((f) => f.path === "infra/src/spec.ts")!.content;
    for (const name of ["copy-0", "copy-1", "kv-extra", "bucket-extra"])
      expect(spec).toContain(`"${name}"`);
  });
});

describe("deploy options", () => {
  it("defaults log retention and npm scope, and reads them from the model when present", () => {
    expect(deployOptions(model).logRetentionDays).toBeGreaterThan(0);
    const m = {
      ...model,
      npmScope: "@acme",
      runbookBaseUrl: "https://x.invalid/r",
      platform: { ...model.platform, logRetentionDays: 7 },
    } as Model;
    expect(deployOptions(m)).toEqual({
      logRetentionDays: 7,
      npmScope: "@acme",
      runbookBaseUrl: "https://x.invalid/r",
    });
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
