import { afterEach, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../generator/diagnostics.js";
import { generate } from "../generator/pipeline.js";
import { dropEnvelopeRoles } from "./support/seed-edits.js";
import { specFixture, type SpecFixture } from "./support/spec-fixture.js";

// Variations a spec-mutation probe found to end in an internal error: each must generate (or
// be a located diagnostic). The probe changed one node or line of the seed at a time.
describe("spec variations that once crashed the generator", () => {
  let fx: SpecFixture;
  afterEach(() => fx?.cleanup());

  const run = async () => {
    const r = await generate(fx.options({ cacheDir: undefined }));
    const errors = r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
    return { r, errors };
  };

  it("message-level options widened to a 64-bit integer type still read as numbers", async () => {
    fx = specFixture();
    const file = "proto/v2c/options/v1/constraints.proto";
    const text = fx.read(file);
    expect(text).toContain("uint32 schema_version = 1;");
    fx.write(file, text.replace("uint32 schema_version = 1;", "int64 schema_version = 1;"));
    const { r, errors } = await run();
    expect(errors).toEqual([]);
    expect(r.ok).toBe(true);
    const versions = r.model!.messages.map((m) => m.schemaVersion);
    expect(versions.every((v) => typeof v === "number" && v >= 1)).toBe(true);
  });

  it("a received command without a vehicle-id role: no README example, no crash", async () => {
    fx = specFixture();
    dropEnvelopeRoles(fx, ["vehicle_id"]);
    const { r, errors } = await run();
    expect(errors).toEqual([]);
    expect(r.ok).toBe(true);
    const readme = r.files.find((f) => f.path === "commands/README.md");
    expect(readme?.content).toBeDefined();
    expect(readme!.content).not.toContain("### A complete example");
  });
});
