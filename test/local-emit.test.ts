import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../generator/pipeline.js";
import type { GenerationResult } from "../generator/pipeline.js";
import { specFixture, type SpecFixture } from "./support/spec-fixture.js";

// `generated/local` is built from the spec, never from the seed's names: rename the channel
// parameters and a handler, and the broker ACL, the rules and the simulator follow.
describe("emit local: everything from the spec", () => {
  let fixture: SpecFixture;
  let result: GenerationResult;
  const file = (path: string) => result.files.find((f) => f.path === path)?.content ?? "";

  beforeAll(async () => {
    fixture = specFixture();
    const text = fixture
      .read("asyncapi.yaml")
      .replaceAll("{vehicle_id}", "{car}")
      .replaceAll("vehicle_id:", "car:")
      .replaceAll("parameters/vehicle_id", "parameters/car")
      .replaceAll("{region}", "{zone}")
      .replaceAll("region:", "zone:")
      .replaceAll("parameters/region", "parameters/zone")
      .replaceAll("telemetry-processor", "ingest-a");
    fixture.write("asyncapi.yaml", text);
    result = await generate(fixture.options());
  }, 120_000);
  afterAll(() => fixture?.cleanup());

  it("generates", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("the broker spec takes its channels and vehicle parameter from the addresses", () => {
    const spec = file("local/src/broker-spec.ts");
    expect(spec).toContain('vehicleParameter: "car"');
    expect(spec).toMatch(
      /address: "v2c\/v1\/\{zone\}\/\{car\}\/telemetry\/vehicle", vehicleAccess: "write"/,
    );
    expect(spec).toMatch(/address: "v2c\/v1\/\{zone\}\/\{car\}\/command", vehicleAccess: "read"/);
    expect(spec).not.toContain("vehicle_id");
  });

  it("one rule per handled send operation, client id from the renamed parameter", () => {
    const pipeline = file("local/src/pipeline.ts");
    expect(pipeline).toContain('name: "ingest-a"');
    expect(pipeline.match(/name: "/g)?.length).toBe(2);
    expect(pipeline).toContain(".parse(topic)?.car");
    expect(pipeline).not.toContain("telemetry-processor");
  });

  it("the simulator fills the other parameters from the spec", () => {
    expect(file("local/src/fleet.ts")).toMatch(/topicParams: \{ zone: "[^"]+" \}/);
  });
});
