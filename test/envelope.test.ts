import { afterEach, describe, expect, it } from "vitest";
import type { Diagnostic } from "../generator/diagnostics.js";
import { generate } from "../generator/pipeline.js";
import { readAsyncApi } from "../generator/load/asyncapi.js";
import { loadProto } from "../generator/load/proto.js";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { buildContract } from "../generator/model/build-contract.js";
import { specFixture, type SpecFixture } from "./support/spec-fixture.js";

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === "error");

/** 1-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) =>
  text.split("\n").findIndex((l) => l.includes(needle)) + 1;

const BATCH = "proto/v2c/telemetry/v1/batch.proto";
const TELEMETRY = "proto/v2c/telemetry/v1/telemetry.proto";

describe("envelope roles come from (v2c.options.v1.envelope), with located errors", () => {
  let fx: SpecFixture;
  afterEach(() => fx?.cleanup());

  it("reads every declared role of the seed's messages into MessageModel.envelope", async () => {
    fx = specFixture();
    const bag = new DiagnosticBag();
    const asyncapi = readAsyncApi(fx.root, bag)!;
    const proto = await loadProto(fx.root, bag);
    const contract = buildContract(asyncapi, proto, bag)!;
    expect(errorsOf(bag.sorted())).toEqual([]);
    for (const m of contract.messages) {
      const ops = contract.operations.filter((o) => o.messageId === m.id);
      // Every message an operation carries declares at least a message id.
      if (ops.length > 0) expect(m.envelope.messageId, m.id).toBeDefined();
      if (m.envelope.vehicleId) {
        expect(m.envelope.vehicleParameter, m.id).toBeDefined();
        for (const op of ops) {
          const ch = contract.channels.find((c) => c.id === op.channelId)!;
          expect(ch.parameters.map((p) => p.name)).toContain(m.envelope.vehicleParameter);
        }
      }
    }
    const batch = contract.messages.find((m) =>
      contract.operations.some((o) => o.batch && o.messageId === m.id),
    )!;
    expect(batch.envelope.records?.kind).toBe("bytes");
    expect(batch.envelope.checksum).toBeDefined();
    const record = contract.messages.find((m) => m.id === batch.envelope.recordMessage?.messageId)!;
    expect(record.protoName).toBe(batch.envelope.recordMessage!.protoName);
  });

  it("a role naming a field the message does not have is an error at the role", async () => {
    fx = specFixture();
    fx.edit(TELEMETRY, '    event_time: "timestamp_ms"\n', '    event_time: "sampled_at"\n');
    const r = await generate(fx.options({ cacheDir: undefined }));
    expect(r.ok).toBe(false);
    expect(r.files).toEqual([]);
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/envelope-unknown-field")!;
    expect(d.file).toBe(TELEMETRY);
    expect(d.line).toBe(lineOf(fx.read(TELEMETRY), 'event_time: "sampled_at"'));
    expect(d.message).toMatch(/sampled_at/);
  });

  it("a role naming a field of the wrong type is an error at the role", async () => {
    fx = specFixture();
    fx.edit(BATCH, '    checksum: "records_crc32"\n', '    checksum: "batch_id"\n');
    const r = await generate(fx.options({ cacheDir: undefined }));
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/envelope-field-type")!;
    expect(d.file).toBe(BATCH);
    expect(d.line).toBe(lineOf(fx.read(BATCH), 'checksum: "batch_id"'));
    expect(d.message).toMatch(/fixed32 or uint32/);
  });

  it("a batch operation's message without records and checksum roles is an error", async () => {
    fx = specFixture();
    fx.edit(BATCH, '    records: "records"\n', "");
    fx.edit(BATCH, '    checksum: "records_crc32"\n', "");
    const r = await generate(fx.options({ cacheDir: undefined }));
    const e = errorsOf(r.diagnostics).filter((x) => x.code === "proto/envelope-missing-role");
    expect(e.map((d) => d.message).join("\n")).toMatch(/x-batch.*records/);
    expect(e.map((d) => d.message).join("\n")).toMatch(/x-batch.*checksum/);
    expect(e.every((d) => d.file === BATCH && d.line > 0)).toBe(true);
  });

  it("a handled message without a message_id role is an error (no dedup key is guessed)", async () => {
    fx = specFixture();
    fx.edit(TELEMETRY, '    message_id: "message_id"\n', "");
    const r = await generate(fx.options({ cacheDir: undefined }));
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/envelope-missing-role")!;
    expect(d.file).toBe(TELEMETRY);
    expect(d.message).toMatch(/x-handler.*message_id/);
  });

  it("a vehicle parameter the channel does not have is an error at the role", async () => {
    fx = specFixture();
    fx.edit(
      TELEMETRY,
      '    vehicle_id: "vehicle_id"\n',
      '    vehicle_id: "vehicle_id"\n    vehicle_parameter: "vin"\n',
    );
    const r = await generate(fx.options({ cacheDir: undefined }));
    const d = errorsOf(r.diagnostics).find((x) => x.code === "proto/envelope-vehicle-parameter")!;
    expect(d.file).toBe(TELEMETRY);
    expect(d.line).toBe(lineOf(fx.read(TELEMETRY), 'vehicle_parameter: "vin"'));
  });
});
