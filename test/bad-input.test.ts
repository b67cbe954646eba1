import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { formatDiagnostic, type Diagnostic } from "../generator/diagnostics.js";
import { generate } from "../generator/pipeline.js";
import { runCli, specFixture, type SpecFixture } from "./support/spec-fixture.js";

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(
  text: string,
  needle: string,
  offsetInNeedle = 0,
): { line: number; column: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`"${needle}" not found`);
  const before = text.slice(0, i + offsetInNeedle).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === "error");

describe("bad input: every problem is reported with file:line:column and nothing is emitted", () => {
  let fx: SpecFixture;
  afterEach(() => fx?.cleanup());

  it("malformed YAML in asyncapi.yaml", async () => {
    fx = specFixture();
    fx.edit("asyncapi.yaml", "    x-topic-alias: 1\n", "    x-topic-alias: [1\n");
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const e = errorsOf(r.diagnostics);
    expect(e.length).toBeGreaterThan(0);
    expect(e[0]!.file).toBe("asyncapi.yaml");
    expect(e[0]!.code).toBe("yaml/syntax");
    expect(e[0]!.line).toBeGreaterThan(
      positionOf(fx.read("asyncapi.yaml"), "x-topic-alias: [1").line - 1,
    );
  });

  it("malformed YAML and a duplicate key in the FMEA table", async () => {
    fx = specFixture();
    fx.edit(
      "fmea/failure-modes.yaml",
      "    name: Network Timeout\n",
      "    name: Network Timeout\n    name: again\n",
    );
    const r = await generate(fx.options());
    expect(r.ok).toBe(false);
    const e = errorsOf(r.diagnostics);
    expect(e.map((d) => d.file)).toContain("fmea/failure-modes.yaml");
    const d = e.find((x) => x.file === "fmea/failure-modes.yaml")!;
    expect(d.line).toBe(positionOf(fx.read("fmea/failure-modes.yaml"), "    name: again").line);
    expect(d.message).toMatch(/unique/i);
  });

  it("an AsyncAPI message pointing at an unknown proto message", async () => {
    fx = specFixture();
    fx.edit(
      "asyncapi.yaml",
      "message: v2c.telemetry.v1.VehicleCommand",
      "message: v2c.telemetry.v1.VehicleCommando",
    );
    const r = await generate(fx.options());
    expect(r.ok).toBe(false);
    const d = errorsOf(r.diagnostics).find((x) => x.code === "asyncapi/unknown-proto-message")!;
    expect(d).toBeDefined();
    expect({ line: d.line, column: d.column }).toEqual(
      positionOf(fx.read("asyncapi.yaml"), "v2c.telemetry.v1.VehicleCommando"),
    );
    expect(formatDiagnostic(d)).toBe(
      `asyncapi.yaml:${d.line}:${d.column}: error: proto message "v2c.telemetry.v1.VehicleCommando" is not defined in proto/ [asyncapi/unknown-proto-message]`,
    );
  });

  it("an FMEA row naming an unknown metric, and every other problem in the same run", async () => {
    fx = specFixture();
    fx.edit(
      "fmea/failure-modes.yaml",
      "metric: dynamodb.throttled_requests",
      "metric: dynamodb.throttled_requestz",
    );
    fx.edit(
      "fmea/failure-modes.yaml",
      "    component: timestream\n    owner: handlers\n    severity: LOW",
      "    component: timestreem\n    owner: handlers\n    severity: LOW",
    );
    const r = await generate(fx.options());
    expect(r.ok).toBe(false);
    const e = errorsOf(r.diagnostics);
    const text = fx.read("fmea/failure-modes.yaml");
    const metric = e.find((x) => x.code === "fmea/unknown-metric")!;
    expect(metric.message).toBe(
      'unknown metric "dynamodb.throttled_requestz" (not in fmea/metrics.yaml)',
    );
    expect({ line: metric.line, column: metric.column }).toEqual(
      positionOf(text, "dynamodb.throttled_requestz"),
    );
    const component = e.find((x) => x.code === "fmea/unknown-participant")!;
    expect({ line: component.line, column: component.column }).toEqual(
      positionOf(text, "timestreem"),
    );
  });

  it("a duplicate failure-mode id", async () => {
    fx = specFixture();
    fx.edit("fmea/failure-modes.yaml", "  - id: FM-23\n", "  - id: FM-22\n");
    const r = await generate(fx.options());
    const d = errorsOf(r.diagnostics).find((x) => x.code === "fmea/duplicate-id")!;
    expect(d.message).toBe('failure mode id "FM-22" is already used by row 22');
    // Reported at the second row that uses the id.
    expect(d.line).toBe(
      fx.read("fmea/failure-modes.yaml").split("\n").lastIndexOf("  - id: FM-22") + 1,
    );
    expect(r.files).toEqual([]);
  });

  it("a schema violation in the FMEA table (unknown property, bad enum)", async () => {
    fx = specFixture();
    fx.edit(
      "fmea/failure-modes.yaml",
      "    severity: CRITICAL\n",
      "    severity: DISASTROUS\n    colour: red\n",
    );
    const r = await generate(fx.options());
    const e = errorsOf(r.diagnostics);
    const text = fx.read("fmea/failure-modes.yaml");
    const unknown = e.find((x) => x.code === "schema/unknown-property")!;
    expect(unknown.message).toMatch(/unknown property "colour"/);
    expect(unknown.line).toBe(positionOf(text, "    colour: red").line);
    const bad = e.find((x) => x.code === "schema/invalid")!;
    expect(bad.message).toMatch(/severity.*must be equal to one of the allowed values.*"CRITICAL"/);
    expect(bad.line).toBe(positionOf(text, "DISASTROUS").line);
  });

  it("an AsyncAPI specification error reported by the official parser", async () => {
    fx = specFixture();
    fx.edit(
      "asyncapi.yaml",
      "  receiveCommand:\n    action: receive",
      "  receiveCommand:\n    action: subscribe",
    );
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    const d = errorsOf(r.diagnostics).find(
      (x) =>
        x.code.startsWith("asyncapi/") &&
        x.line === positionOf(fx.read("asyncapi.yaml"), "action: subscribe").line,
    );
    expect(d, JSON.stringify(r.diagnostics, null, 1)).toBeDefined();
  });

  it("a .proto compile error", async () => {
    fx = specFixture();
    fx.edit(
      "proto/v2c/telemetry/v1/telemetry.proto",
      "  uint64 sequence = 5;\n",
      "  uint64 sequence = 5;\n  Unknown thing = 99;\n",
    );
    const r = await generate(fx.options());
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/compile")!;
    expect(d.file).toBe("proto/v2c/telemetry/v1/telemetry.proto");
    expect(d.line).toBe(
      positionOf(fx.read("proto/v2c/telemetry/v1/telemetry.proto"), "  Unknown thing").line,
    );
    expect(d.message).toMatch(/Unknown/);
  });

  it("a proto range whose min exceeds its max", async () => {
    fx = specFixture();
    fx.edit(
      "proto/v2c/telemetry/v1/telemetry.proto",
      "float speed_kph = 1 [\n    (buf.validate.field).float = {\n      gte: 0\n      lte: 300",
      "float speed_kph = 1 [\n    (buf.validate.field).float = {\n      gte: 300\n      lte: 0",
    );
    const r = await generate(fx.options());
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/bad-range")!;
    expect(d.message).toMatch(
      /^field powertrain\.speed_kph: lower bound 300 is above upper bound 0/,
    );
    expect(d.line).toBe(
      positionOf(fx.read("proto/v2c/telemetry/v1/telemetry.proto"), "float speed_kph").line,
    );
  });

  it("the CLI prints file:line:col for each problem, exits 1 and writes nothing", () => {
    fx = specFixture();
    fx.edit(
      "fmea/failure-modes.yaml",
      "metric: dynamodb.throttled_requests",
      "metric: nope.metric",
    );
    fx.edit(
      "asyncapi.yaml",
      "message: v2c.telemetry.v1.VehicleCommand",
      "message: v2c.telemetry.v1.Nope",
    );
    const r = runCli(["--root", fx.root]);
    expect(r.code).toBe(1);
    const fm = positionOf(fx.read("fmea/failure-modes.yaml"), "nope.metric");
    const aa = positionOf(fx.read("asyncapi.yaml"), "v2c.telemetry.v1.Nope");
    expect(r.stderr).toContain(
      `fmea/failure-modes.yaml:${fm.line}:${fm.column}: error: unknown metric "nope.metric"`,
    );
    expect(r.stderr).toContain(
      `asyncapi.yaml:${aa.line}:${aa.column}: error: proto message "v2c.telemetry.v1.Nope"`,
    );
    expect(r.stderr).toMatch(/nothing was written/);
    expect(existsSync(fx.out)).toBe(false);
  });

  it("a failure mode with an unknown signal: a located error listing the known signals", async () => {
    fx = specFixture();
    fx.edit("fmea/failure-modes.yaml", "signal: throttled\n", "signal: http-503\n");
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const d = errorsOf(r.diagnostics).find((x) => x.code === "fmea/unknown-signal")!;
    expect(d).toBeDefined();
    expect({ line: d.line, column: d.column }).toEqual(
      positionOf(fx.read("fmea/failure-modes.yaml"), "http-503"),
    );
    for (const known of ["throttled", "unavailable", "decode-error", "checksum-mismatch"])
      expect(d.message).toContain(known);
  });

  it("a signal that does not apply to the component's kind: located, listing the kind's signals", async () => {
    fx = specFixture();
    // A decode error is raised by a function, not by a key-value store.
    fx.edit("fmea/failure-modes.yaml", "signal: throttled\n", "signal: decode-error\n");
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    const d = errorsOf(r.diagnostics).find((x) => x.code === "fmea/signal-not-applicable")!;
    expect(d).toBeDefined();
    const text = fx.read("fmea/failure-modes.yaml");
    const before = text.slice(0, text.indexOf("  - id: FM-08")).split("\n").length - 1;
    const row = text.slice(text.indexOf("  - id: FM-08"));
    expect(d.line).toBe(before + positionOf(row, "signal: decode-error").line);
    expect(d.message).toMatch(/kind key-value-store/);
    expect(d.message).toContain("partial-write");
  });

  it("x-v2c: an unknown component kind and QoS 2 on AWS IoT Core are located errors", async () => {
    fx = specFixture();
    fx.edit("asyncapi.yaml", "kind: notification", "kind: pager");
    const text = fx.read("asyncapi.yaml");
    fx.write("asyncapi.yaml", text.replace("        qos: 1\n", "        qos: 2\n"));
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    const e = errorsOf(r.diagnostics);
    const kind = e.find((x) => x.code === "asyncapi/unknown-component-kind")!;
    expect(kind.line).toBe(positionOf(fx.read("asyncapi.yaml"), "kind: pager").line);
    expect(kind.message).toContain("key-value-store");
    const qos = e.find((x) => x.code === "asyncapi/unsupported-qos")!;
    expect(qos.line).toBe(positionOf(fx.read("asyncapi.yaml"), "qos: 2").line);
  });

  it("x-v2c without platform keys generates with the documented defaults; an unknown key is located", async () => {
    fx = specFixture();
    const text = fx.read("asyncapi.yaml");
    const start = text.indexOf("  platform:\n");
    const end = text.indexOf("  timestamps:\n");
    fx.write("asyncapi.yaml", text.slice(0, start) + text.slice(end));
    const ok = await generate(fx.options({ cacheDir: undefined }));
    expect(errorsOf(ok.diagnostics)).toEqual([]);
    expect(ok.model?.platform).toMatchObject({
      broker: "aws-iot-core",
      iotMaxPacketBytes: 131072,
      iotMaxKeepAliveS: 1200,
      lambdaRuntime: "nodejs22.x",
    });
    fx.edit("asyncapi.yaml", "  timestamps:\n", "  platfrom: {}\n  timestamps:\n");
    const bad = await generate(fx.options({ cacheDir: undefined }));
    const d = errorsOf(bad.diagnostics).find((x) => x.code === "schema/unknown-property")!;
    expect(d.message).toContain('"platfrom"');
    expect(d.line).toBe(positionOf(fx.read("asyncapi.yaml"), "platfrom").line);
  }, 180_000);

  it("x-handler writing a participant that is not a store: a located error naming the candidates", async () => {
    fx = specFixture();
    fx.write(
      "asyncapi.yaml",
      fx.read("asyncapi.yaml").replace("writes: [dynamodb, timestream]", "writes: [dynamodb, sns]"),
    );
    const r = await generate(fx.options({ cacheDir: undefined }));
    const d = errorsOf(r.diagnostics).find((x) => x.code === "asyncapi/wrong-participant-kind")!;
    expect(d).toBeDefined();
    expect(d.message).toContain("timestream");
  });

  it("a second namespace for the pipeline's own metrics: a located error, not an internal one", async () => {
    fx = specFixture();
    const text = fx.read("fmea/metrics.yaml");
    const at = text.lastIndexOf("    namespace: V2C/Telemetry\n");
    fx.write(
      "fmea/metrics.yaml",
      `${text.slice(0, at)}    namespace: Fleet/Other${text.slice(at + "    namespace: V2C/Telemetry".length)}`,
    );
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const d = errorsOf(r.diagnostics).find((x) => x.code === "fmea/metric-namespace")!;
    expect(d.message).toContain('"Fleet/Other"');
    expect(d.file).toBe("fmea/metrics.yaml");
    expect(d.line).toBe(positionOf(fx.read("fmea/metrics.yaml"), "Fleet/Other").line);
  });
});
