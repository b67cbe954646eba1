/**
 * The enum fields the generator lists for a handled record (model/enum-fields.ts), from a proto
 * compiled by buf, and the generated codec's check built from them; and, on this repository's
 * generated handlers (real ts-proto code), the same rejection detail as the former check (the
 * JSON document walked for "UNRECOGNIZED").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto } from "../generator/load/proto.js";
import { collectEnumFields } from "../generator/model/enum-fields.js";
import * as handlers from "@v2c/handlers";
import * as spec from "@v2c/spec";
import { EnumCheck, type EnumFieldTable, type RecordCodec } from "../runtime/src/handlers/codec.js";
import { PipelineFailure } from "../runtime/src/handlers/failure.js";
import { validateRecord } from "../runtime/src/handlers/validate.js";
import { sampleVehicleTelemetry } from "../generated/handlers/test/samples.js";
import { REPO } from "./support/spec-fixture.js";

const PROTO = `syntax = "proto3";

package t.v1;

import "google/protobuf/struct.proto";

enum Mode {
  MODE_UNSPECIFIED = 0;
  MODE_ON = 1;
  MODE_OFF = 2;
}

enum Kind {
  KIND_UNSPECIFIED = 0;
  KIND_A = 5;
  KIND_B = 9;
}

message Inner {
  Kind kind = 1 [json_name = "kindJson"];
  repeated Kind kinds = 2;
}

message Plain {
  string s = 1;
}

message Loop {
  Loop again = 1;
  string s = 2;
}

message Outer {
  Mode mode = 1;
  repeated Inner items = 2;
  map<string, Mode> modes = 3;
  oneof choice {
    Mode picked = 4;
    Inner inner_choice = 5;
    string text = 11;
  }
  Outer next = 6;
  Plain plain = 7;
  google.protobuf.Value value = 8;
  map<string, Inner> by_name = 9;
  optional Mode maybe = 10;
  Loop loop = 12;
}
`;

let root: string | undefined;
afterAll(() => root && rmSync(root, { recursive: true, force: true }));

describe("enum fields of a handled record (generator)", () => {
  it("lists every enum field with its numbers — nested, repeated, map, oneof, recursive, optional — and no type without one", async () => {
    root = mkdtempSync(join(tmpdir(), "v2c-enums-"));
    mkdirSync(join(root, "proto", "t", "v1"), { recursive: true });
    writeFileSync(join(root, "proto", "t", "v1", "t.proto"), PROTO);
    const bag = new DiagnosticBag();
    const proto = await loadProto(root, bag);
    expect(bag.sorted().filter((d) => d.severity === "error")).toEqual([]);
    const table = collectEnumFields(proto!.registry.getMessage("t.v1.Outer")!);
    expect(table).toEqual({
      "t.v1.Inner": [
        { key: "kind", name: "kindJson", values: [0, 5, 9] },
        { key: "kinds", each: "list", values: [0, 5, 9] },
      ],
      "t.v1.Outer": [
        { key: "mode", values: [0, 1, 2] },
        { key: "items", each: "list", type: "t.v1.Inner" },
        { key: "modes", each: "map", values: [0, 1, 2] },
        { key: "choice", name: "picked", case: "picked", values: [0, 1, 2] },
        { key: "choice", name: "innerChoice", case: "innerChoice", type: "t.v1.Inner" },
        { key: "next", type: "t.v1.Outer" },
        { key: "byName", each: "map", type: "t.v1.Inner" },
        { key: "maybe", values: [0, 1, 2] },
      ],
    });

    // The codec's check over that table, on a record shaped as ts-proto decodes it.
    const check = new EnumCheck("t.v1.Outer", table);
    const record = {
      mode: 1,
      items: [
        { kind: 5, kinds: [9] },
        { kind: 7, kinds: [0, 3] },
      ],
      modes: { a: 2 },
      choice: { $case: "innerChoice", value: { kind: 0, kinds: [] } },
      next: { mode: 4, items: [], modes: {}, byName: { x: { kind: 1, kinds: [] } } },
      plain: { s: "" },
      value: null,
      byName: {},
      maybe: undefined,
    };
    expect(check.unknownPaths(record)).toEqual([
      "items[1].kindJson = 7",
      "items[1].kinds[1] = 3",
      "next.mode = 4",
      "next.byName.x.kindJson = 1",
    ]);
  }, 60_000);
});

/** The former check: where the JSON document says "UNRECOGNIZED" and the record holds a number. */
function formerUnknownPaths(decoded: unknown, json: unknown, path = ""): string[] {
  if (json === "UNRECOGNIZED") return typeof decoded === "number" ? [`${path} = ${decoded}`] : [];
  if (json === null || typeof json !== "object" || decoded === null || typeof decoded !== "object")
    return [];
  const inner = decoded as Record<string, unknown>;
  if (Array.isArray(json))
    return json.flatMap((v, i) => formerUnknownPaths(inner[i], v, `${path}[${i}]`));
  return Object.entries(json).flatMap(([k, v]) =>
    formerUnknownPaths(inner[k], v, path ? `${path}.${k}` : k),
  );
}

/** Every single-valued enum field reachable through single-valued sub-messages: its keys and numbers. */
function enumLeaves(
  table: EnumFieldTable,
  type: string,
  depth = 0,
): { keys: string[]; values: readonly number[] }[] {
  if (depth > 4) return [];
  return (table[type] ?? []).flatMap((f) => {
    if (f.each !== undefined || f.case !== undefined) return [];
    if (f.values) return [{ keys: [f.key], values: f.values }];
    return enumLeaves(table, f.type!, depth + 1).map((l) => ({ ...l, keys: [f.key, ...l.keys] }));
  });
}

describe("the generated handlers' unknown-enum check (this repository's spec, ts-proto)", () => {
  it("rejects every enum field set outside its enum with the detail the JSON walk gave", async () => {
    const codec = handlers.vehicleTelemetryCodec as RecordCodec<unknown>;
    const bag = new DiagnosticBag();
    const proto = await loadProto(REPO, bag);
    const table = collectEnumFields(proto!.registry.getMessage(codec.message)!);
    const leaves = enumLeaves(table, codec.message);
    expect(leaves.length).toBeGreaterThan(0);
    const type = spec.VehicleTelemetry;
    const vin = "VIN-1HGCM82633A004352";
    const now = Date.now();
    const record = type.decode(sampleVehicleTelemetry(vin, now - 1000).bytes) as unknown as Record<
      string,
      unknown
    >;
    // Every leaf one past its enum's largest number (sub-messages created where unset).
    for (const leaf of leaves) {
      let at = record;
      for (const k of leaf.keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
      at[leaf.keys.at(-1)!] = Math.max(...leaf.values) + 1;
    }
    const mutated = type.fromPartial(record as never);
    const bytes = type.encode(mutated).finish();
    const decoded = type.decode(bytes);
    const former = formerUnknownPaths(decoded, type.toJSON(decoded));
    expect(former).toHaveLength(leaves.length);
    let failure: unknown;
    try {
      validateRecord(codec, bytes, vin, now, handlers.telemetryProcessorPolicy);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(PipelineFailure);
    expect((failure as PipelineFailure).signal).toBe("range-violation");
    expect((failure as PipelineFailure).detail).toBe(
      `enum value outside its enum: ${former.join("; ")}`,
    );
  }, 60_000);
});
