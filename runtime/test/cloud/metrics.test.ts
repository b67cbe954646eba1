import { afterEach, describe, expect, it, vi } from "vitest";
import { EmfMetricsSink, MemoryMetricsSink } from "../../src/cloud/index.js";

interface EmfDoc {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** Checks the EMF specification's structural rules on one document. */
function assertValidEmf(doc: EmfDoc): void {
  expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
  expect(doc._aws.CloudWatchMetrics.length).toBeGreaterThan(0);
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(typeof directive.Namespace).toBe("string");
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const dimension of set) expect(typeof doc[dimension]).toBe("string");
    }
    for (const metric of directive.Metrics) {
      const value = doc[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) expect(typeof v).toBe("number");
    }
  }
}

function captureStdout(): { lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  return {
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.trim().length > 0),
    restore: () => spy.mockRestore(),
  };
}

describe("EmfMetricsSink (Powertools Metrics → CloudWatch EMF on stdout)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("emits valid EMF JSON, one document per dimension set, latencies as raw values", async () => {
    const out = captureStdout();
    try {
      const sink = new EmfMetricsSink({
        namespace: "V2C/Telemetry",
        serviceName: "telemetry-processor",
        defaultDimensions: { region: "us-east-1" },
      });
      for (const ms of [12, 480, 35]) sink.timing("telemetry.processing.latency", ms);
      sink.count("telemetry.duplicate_rate");
      sink.count("dlq.message_count", 2, { reason: "FM-11" });
      sink.observe("telemetry.data_volume_bytes", 3_000, "Bytes");
      await sink.flush();
      const docs = out.lines().map((l) => JSON.parse(l) as EmfDoc);
      out.restore();
      expect(docs).toHaveLength(2);
      for (const doc of docs) assertValidEmf(doc);
      const plain = docs.find((d) => d.reason === undefined) as EmfDoc;
      // Raw values, not an average: CloudWatch computes P50/P99 from these.
      expect(plain["telemetry.processing.latency"]).toEqual([12, 480, 35]);
      expect(plain["telemetry.data_volume_bytes"]).toBe(3_000);
      expect(plain.region).toBe("us-east-1");
      expect(plain.service).toBe("telemetry-processor");
      const metrics = plain._aws.CloudWatchMetrics[0]?.Metrics;
      expect(metrics).toContainEqual({
        Name: "telemetry.processing.latency",
        Unit: "Milliseconds",
      });
      const dlq = docs.find((d) => d.reason === "FM-11") as EmfDoc;
      expect(dlq["dlq.message_count"]).toBe(2);
      expect(dlq._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
        expect.arrayContaining(["service", "region", "reason"]),
      );
    } finally {
      out.restore();
    }
  });

  it("a second flush emits only what was added since", async () => {
    const out = captureStdout();
    try {
      const sink = new EmfMetricsSink({ namespace: "V2C/Telemetry", serviceName: "s" });
      sink.count("a");
      await sink.flush();
      await sink.flush();
      sink.count("b");
      await sink.flush();
      const docs = out.lines().map((l) => JSON.parse(l) as EmfDoc);
      out.restore();
      expect(docs.map((d) => ("a" in d ? "a" : "b" in d ? "b" : "?"))).toEqual(["a", "b"]);
    } finally {
      out.restore();
    }
  });
});

describe("MemoryMetricsSink", () => {
  it("counts by name and dimensions; percentiles from an HDR histogram", async () => {
    const sink = new MemoryMetricsSink();
    sink.count("dlq.message_count", 1, { reason: "FM-11" });
    sink.count("dlq.message_count", 2, { reason: "FM-11" });
    sink.count("dlq.message_count", 1, { reason: "FM-12" });
    expect(sink.counter("dlq.message_count", { reason: "FM-11" })).toBe(3);
    expect(sink.counterTotal("dlq.message_count")).toBe(4);
    expect(sink.counter("never")).toBe(0);
    for (let i = 1; i <= 1000; i++) sink.timing("latency", i);
    expect(sink.observations("latency")).toBe(1000);
    expect(sink.percentile("latency", 50)).toBeCloseTo(500, -1);
    expect(sink.percentile("latency", 99)).toBeCloseTo(990, -1);
    expect(sink.max("latency")).toBeCloseTo(1000, -1);
    expect(sink.percentile("other", 99)).toBeUndefined();
    sink.timing("fractional", 0.25);
    expect(sink.percentile("fractional", 50)).toBeCloseTo(0.25, 3);
    expect(() => sink.timing("latency", -1)).toThrow(RangeError);
    await sink.flush();
    expect(sink.flushes).toBe(1);
  });

  it("one series per name + dimension set, whatever the key order, separators or cache size", () => {
    const sink = new MemoryMetricsSink();
    sink.count("writes", 1, { downstream: "kv", signal: "timeout" });
    sink.count("writes", 2, { signal: "timeout", downstream: "kv" });
    expect(sink.counter("writes", { downstream: "kv", signal: "timeout" })).toBe(3);
    // Names and values holding what a joined lookup string would use as separators.
    sink.count("a\u0000b", 1, { "c\u0001d": "e\u0000f" });
    sink.count("a", 1, { "b\u0000c\u0001d": "e\u0000f" });
    expect(sink.counter("a\u0000b", { "c\u0001d": "e\u0000f" })).toBe(1);
    expect(sink.counter("a", { "b\u0000c\u0001d": "e\u0000f" })).toBe(1);
    expect(sink.counter("writes")).toBe(0);
    expect(sink.counter("writes", { downstream: "kv" })).toBe(0);
    // Past the key cache's bound: still one counter per series.
    for (let i = 0; i < 25_000; i++) sink.count("many", 1, { id: String(i % 12_000) });
    expect(sink.counter("many", { id: "7" })).toBe(3);
    expect(sink.counter("many", { id: "11999" })).toBe(2);
    expect(sink.counterTotal("many")).toBe(25_000);
  });
});
