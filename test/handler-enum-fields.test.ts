/**
 * The enum fields the generator lists for a handled record (model/enum-fields.ts), from a proto
 * compiled by buf, and the generated codec's check built from them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto } from "../generator/load/proto.js";
import { collectEnumFields } from "../generator/model/enum-fields.js";
import { EnumCheck } from "../runtime/src/handlers/codec.js";

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
