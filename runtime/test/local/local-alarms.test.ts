import { describe, expect, it } from "vitest";
import type { AlarmSpec, MetricSpec } from "../../src/spec-types.js";
import { AlarmEvaluator, localAlarms } from "../../src/local/local-alarms.js";
import { aclPattern, channelFilter, renderAcl } from "../../src/local/broker-config.js";
import { vehicleIds } from "../../src/local/vehicle-ids.js";

const metric = (name: string, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name,
  description: name,
  kind: "counter",
  unit: "Count",
  source: "x",
  namespace: "N",
  cloudwatchName: `cw.${name}`,
  dimensions: ["reason"],
  ...extra,
});

const alarm = (extra: Partial<AlarmSpec>): AlarmSpec => ({
  metric: "errors",
  dimensions: {},
  statistic: "Sum",
  comparison: "GreaterThanThreshold",
  threshold: 2,
  periodS: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  treatMissingData: "notBreaching",
  ...extra,
});

const metrics = {
  errors: metric("errors"),
  received: metric("received", { dimensions: [] }),
  ratio: metric("ratio", { kind: "ratio", numerator: "errors", denominator: "received" }),
};

function evaluator(spec: AlarmSpec, now: { t: number }) {
  const alarms = localAlarms({
    failureModes: { "FM-X": { id: "FM-X", name: "X", runbook: "rb", detection: { alarm: spec } } },
    alerts: {},
    metrics,
  });
  return new AlarmEvaluator(alarms, () => now.t);
}

describe("local alarms: the CDK alarm's statistic, threshold, period and M of N datapoints", () => {
  it("fires only when datapointsToAlarm of evaluationPeriods breach, and recovers", () => {
    const now = { t: 1_000_000_000 };
    const ev = evaluator(alarm({}), now);
    ev.record("cw.errors", 3, {}, now.t - 130_000); // period 3 (oldest): breaching
    expect(ev.evaluate()[0]!.state).toBe("OK");
    ev.record("cw.errors", 3, {}, now.t - 10_000); // newest period: breaching -> 2 of 3
    const fired: string[] = [];
    expect(ev.evaluate((s) => fired.push(`${s.alarm.source}:${s.state}`))[0]!.state).toBe("ALARM");
    expect(fired).toEqual(["FM-X:ALARM"]);
    now.t += 200_000; // all three periods empty: missing = not breaching
    expect(ev.evaluate()[0]!.state).toBe("OK");
  });

  it("matches the alarm's dimensions and uses the statistic (Sum vs Average vs p99)", () => {
    const now = { t: 2_000_000_000 };
    const ev = evaluator(
      alarm({ dimensions: { reason: "A" }, evaluationPeriods: 1, datapointsToAlarm: 1 }),
      now,
    );
    ev.record("cw.errors", 5, { reason: "B" }, now.t - 1000);
    expect(ev.evaluate()[0]!.state).toBe("OK");
    ev.record("cw.errors", 5, { reason: "A", operation: "op" }, now.t - 1000);
    expect(ev.evaluate()[0]!.value).toBe(5);

    const p = evaluator(
      alarm({ statistic: "p99", threshold: 100, evaluationPeriods: 1, datapointsToAlarm: 1 }),
      now,
    );
    for (let i = 0; i < 99; i++) p.record("cw.errors", 10, {}, now.t - 1000);
    p.record("cw.errors", 500, {}, now.t - 1000);
    expect(p.evaluate()[0]!.value).toBe(10);
    p.record("cw.errors", 500, {}, now.t - 1000);
    expect(p.evaluate()[0]!.state).toBe("ALARM");
  });

  it("rateOf and ratio metrics are 100 * part / whole; missing data can breach", () => {
    const now = { t: 3_000_000_000 };
    const rate = evaluator(
      alarm({ rateOf: "received", threshold: 5, evaluationPeriods: 1, datapointsToAlarm: 1 }),
      now,
    );
    rate.record("cw.received", 100, {}, now.t - 1000);
    rate.record("cw.errors", 10, { reason: "A" }, now.t - 1000);
    const s = rate.evaluate()[0]!;
    expect(s.value).toBe(10);
    expect(s.state).toBe("ALARM");

    const ratio = evaluator(
      alarm({ metric: "ratio", threshold: 50, evaluationPeriods: 1, datapointsToAlarm: 1 }),
      now,
    );
    ratio.record("cw.received", 4, {}, now.t - 1000);
    ratio.record("cw.errors", 1, {}, now.t - 1000);
    expect(ratio.evaluate()[0]!.value).toBe(25);

    const missing = evaluator(
      alarm({ treatMissingData: "breaching", evaluationPeriods: 1, datapointsToAlarm: 1 }),
      now,
    );
    expect(missing.evaluate()[0]!.state).toBe("ALARM");
  });
});

describe("broker config from channel addresses", () => {
  it("maps the vehicle parameter to %u and every other parameter to +", () => {
    expect(aclPattern("a/{zone}/{car}/up", "car")).toBe("a/+/%u/up");
    expect(channelFilter("a/{zone}/{car}/up")).toBe("a/+/+/up");
    const acl = renderAcl(
      {
        channels: [
          { address: "a/{zone}/{car}/up", vehicleAccess: "write" },
          { address: "a/{car}/down", vehicleAccess: "read" },
        ],
        vehicleParameter: "car",
        maxPacketBytes: 1000,
        maxTopicAlias: 0,
      },
      "engine",
    );
    expect(acl).toContain("pattern write a/+/%u/up\npattern read a/%u/down");
    expect(acl).toContain("user engine\ntopic read a/+/+/up\ntopic write a/+/down");
  });

  it("makes vehicle ids that match the parameter's pattern", () => {
    const ids = vehicleIds("CAR-ABCDEF", "^CAR-[A-Z0-9]{6}$", 12);
    expect(new Set(ids).size).toBe(12);
    for (const id of ids) expect(id).toMatch(/^CAR-[A-Z0-9]{6}$/);
    expect(() => vehicleIds("x", "^[a-z]$", 2)).toThrow(RangeError);
  });
});
