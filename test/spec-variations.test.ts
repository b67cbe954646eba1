import { afterEach, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../generator/diagnostics.js";
import { generate } from "../generator/pipeline.js";
import { dropChannelParameter, dropEnvelopeRoles } from "./support/seed-edits.js";
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

  it("a reply channel without the vehicle parameter is a located error, not an internal one", async () => {
    fx = specFixture();
    // The vehicle publishes its command results there; without {vehicle_id} in the address (and
    // no vehicle-id role, which the envelope check would report first) the IoT policy crashed.
    const file = "proto/v2c/telemetry/v1/command_result.proto";
    const proto = fx.read(file);
    expect(proto).toContain('    vehicle_id: "vehicle_id"\n');
    fx.write(file, proto.replace('    vehicle_id: "vehicle_id"\n', ""));
    const text = fx.read("asyncapi.yaml");
    const channel = "commandResult";
    const address = new RegExp(`^  ${channel}:\\n    address: (.*)$`, "m").exec(text)![1]!;
    const line = text.slice(0, text.indexOf(address)).split("\n").length;
    dropChannelParameter(fx, channel, "vehicle_id");
    const { r, errors } = await run();
    expect(r.ok).toBe(false);
    expect(errors).toHaveLength(1);
    const confinement = r.diagnostics.filter((d) => d.code === "channels/vehicle-confinement");
    expect(confinement.map((d) => [d.file, d.line])).toEqual([["asyncapi.yaml", line]]);
    expect(confinement[0]!.message).toContain(`reply channel of operation`);
  });

  it("a second server without a clientId template is a located error", async () => {
    fx = specFixture();
    // The first server's clientId still gives the envelopes their vehicle parameter: only the
    // IoT policy would notice the second (it crashed on it).
    const text = fx.read("asyncapi.yaml");
    const clientId = '        clientId: "{vehicle_id}"\n';
    const at = text.lastIndexOf(clientId);
    expect(at).toBeGreaterThan(text.indexOf(clientId));
    fx.write("asyncapi.yaml", text.slice(0, at) + text.slice(at + clientId.length));
    const { r, errors } = await run();
    expect(r.ok).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^asyncapi\.yaml:\d+:\d+: error: server "[^"]+" declares no bindings\.mqtt\.clientId/,
    );
    expect(errors[0]).toContain("[servers/client-id]");
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
