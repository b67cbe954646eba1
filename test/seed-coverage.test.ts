import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultOptions } from "../generator/options.js";
import { generate, type GenerationResult } from "../generator/pipeline.js";
import type { Model } from "../generator/model/types.js";
import { REPO } from "./support/spec-fixture.js";

// The seed's Complete Failure Mode Matrix, read from the seed document itself, so the FMEA table
// is compared with the requirement rather than with a copy of it.
const SEED = readFileSync(
  join(REPO, "..", "shared", "seed", "telemetry-flow-reference.md"),
  "utf8",
);
const seedRows = SEED.split("\n")
  .filter((l) => /^\| \d+ \|/.test(l))
  .map((l) =>
    l
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim()),
  )
  .map(([n, name, severity, probability, mtbf, mttr]) => ({
    id: `FM-${n!.padStart(2, "0")}`,
    name: name!,
    severity: severity!,
    probability: probability!,
    mtbf: mtbf!,
    mttr: mttr!,
  }));

const units: Record<string, number> = {
  sec: 1000,
  min: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};
/** "30 days" / "5-15 min" / "Immediate" -> [min, max] ms */
function seedDuration(text: string): [number, number] {
  if (text === "Immediate") return [0, 0];
  const m = /^(\d+)(?:-(\d+))? (\w+)$/.exec(text);
  if (!m) throw new Error(`unparsed seed duration ${text}`);
  const unit = units[m[3]!]!;
  return [Number(m[1]) * unit, Number(m[2] ?? m[1]) * unit];
}

describe("the spec sources carry the whole seed", () => {
  let result: GenerationResult;
  let model: Model;
  beforeAll(async () => {
    result = await generate(defaultOptions(REPO));
    expect(result.ok, JSON.stringify(result.diagnostics)).toBe(true);
    model = result.model!;
  });

  it("has all 23 failure modes of the seed's matrix with its severity, probability, MTBF and MTTR", () => {
    expect(seedRows).toHaveLength(23);
    expect(model.failureModes.map((f) => f.id)).toEqual(seedRows.map((r) => r.id));
    for (const row of seedRows) {
      const fm = model.failureModes.find((f) => f.id === row.id)!;
      expect(fm.severity, row.id).toBe(row.severity);
      expect(fm.probability.band, row.id).toBe(row.probability);
      expect(fm.mtbfMs, row.id).toBe(seedDuration(row.mtbf)[0]);
      expect([fm.mttrMs.min, fm.mttrMs.max], row.id).toEqual(seedDuration(row.mttr));
      expect(fm.name.toLowerCase(), row.id).toContain(
        row.name.toLowerCase().replace(" (no puback)", "").split(" ")[0]!,
      );
    }
  });

  it("splits recovery 18 automated / 5 manual, as the seed's aggregate metrics say", () => {
    const manual = model.failureModes.filter((f) => f.recovery.mode === "manual");
    expect(manual).toHaveLength(5);
    expect(model.failureModes.length - manual.length).toBe(18);
  });

  it("gives every failure mode an alarm on a known metric, an audience and a mitigation", () => {
    const metrics = new Set(model.metrics.map((m) => m.name));
    for (const fm of model.failureModes) {
      expect(metrics.has(fm.detection.alarm.metric), fm.id).toBe(true);
      expect(fm.mitigation.description.length, fm.id).toBeGreaterThan(0);
      expect(model.audiences.map((a) => a.id)).toContain(fm.notify);
    }
  });

  it("has the seed's 12 metrics, 5 alert triggers, 3 procedures, 3 runbooks, 4 phases and 11 participants", () => {
    const seedMetrics = [...SEED.matchAll(/^\d+\. \*\*([a-z_.]+)\*\* - /gm)].map((m) => m[1]);
    expect(seedMetrics).toHaveLength(12);
    expect(model.metrics.filter((m) => m.seed !== undefined).map((m) => m.name)).toEqual(
      seedMetrics,
    );
    expect(model.alerts).toHaveLength(5);
    expect(model.runbooks.filter((r) => r.kind === "procedure")).toHaveLength(3);
    expect(model.runbooks.filter((r) => r.kind === "runbook")).toHaveLength(3);
    expect(model.phases.map((p) => p.id)).toEqual([
      "connection",
      "individual-telemetry",
      "batch-telemetry",
      "monitoring",
      "recovery",
    ]);
    expect(model.participants).toHaveLength(11);
  });

  it("carries the seed's policy figures as data", () => {
    const fm = Object.fromEntries(model.failureModes.map((f) => [f.id, f]));
    expect(fm["FM-02"]!.mitigation.policy.retry!.delaysMs).toEqual([
      2000, 4000, 8000, 16000, 32000,
    ]);
    expect(fm["FM-06"]!.mitigation.policy.retry!.delaysMs).toEqual([5000, 10000, 20000]);
    expect(fm["FM-06"]!.mitigation.policy.pubackTimeoutMs).toBe(5000);
    expect(fm["FM-08"]!.mitigation.policy.retry!.delaysMs).toEqual([100, 200, 400]);
    expect(fm["FM-08"]!.mitigation.policy.circuitBreaker).toMatchObject({
      openAfterFailures: 10,
      windowMs: 60_000,
      halfOpenTraffic: 0.1,
    });
    expect(fm["FM-12"]!.mitigation.policy.retry).toEqual(fm["FM-08"]!.mitigation.policy.retry);
    expect(model.platform.localQueue.maxMessages).toBe(1000);
    const batch = model.operations.find((o) => o.id === "publishBatchTelemetry")!.batch!;
    expect([
      batch.minMessages,
      batch.maxMessages,
      batch.maxCompressedBytes,
      batch.zstdLevel,
      batch.intervalMs,
    ]).toEqual([25, 50, 102_400, 3, 3_600_000]);
    expect(model.operations.find((o) => o.id === "publishTelemetry")!.dedupWindowMs).toBe(300_000);
    // The two vehicle-to-cloud telemetry channels carry aliases; the command channels none.
    const aliases = model.channels.map((c) => c.topicAlias);
    expect(aliases.slice(0, 2)).toEqual([1, 2]);
    expect(aliases.slice(2).every((a) => a === undefined)).toBe(true);
  });

  it("warns, with its location, that the seed's 2400 s keep-alive exceeds IoT Core's 1200 s", () => {
    const warnings = result.diagnostics.filter((d) => d.code === "platform/keep-alive");
    expect(warnings).toHaveLength(2);
    const lines = readFileSync(join(REPO, "asyncapi.yaml"), "utf8").split("\n");
    expect(lines[warnings[0]!.line - 1]).toMatch(/keepAlive: 2400/);
  });
});
