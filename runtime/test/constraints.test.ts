import { describe, expect, it } from "vitest";
import { ConstraintChecker, type MessageConstraints } from "../src/constraints.js";

const table: MessageConstraints = {
  message: "test.Snapshot",
  schemaVersion: 1,
  minSupportedSchemaVersion: 1,
  fields: [
    {
      path: "id",
      protoPath: "id",
      kind: "string",
      repeated: false,
      required: true,
      pattern: "^[a-f0-9]{4}$",
    },
    {
      path: "power.speedKph",
      protoPath: "power.speed_kph",
      kind: "number",
      repeated: false,
      required: false,
      min: 0,
      max: 300,
      unit: "km/h",
    },
    {
      path: "codes",
      protoPath: "codes",
      kind: "string",
      repeated: true,
      required: false,
      pattern: "^P[0-9]{4}$",
      maxItems: 2,
    },
  ],
};
const checker = new ConstraintChecker(table);

describe("ConstraintChecker", () => {
  it("accepts a valid message and skips fields of absent sub-messages", () => {
    expect(checker.check({ id: "ab12", power: { speedKph: 120 }, codes: ["P0420"] })).toEqual([]);
    expect(checker.check({ id: "ab12", codes: [] })).toEqual([]);
  });

  it("reports each violation with the proto field path", () => {
    const v = checker.check({ id: "", power: { speedKph: 301 }, codes: ["P0420", "X1", "P0001"] });
    expect(v.map((x) => `${x.field}:${x.rule}`)).toEqual([
      "id:required",
      "power.speed_kph:max",
      "codes:max_items",
      "codes[1]:pattern",
    ]);
    expect(v[1]!.message).toBe("power.speed_kph 301 is above 300 km/h");
    expect(v.map((x) => x.ruleId)).toEqual([
      "required",
      "number.gte_lte",
      "repeated.max_items",
      "string.pattern",
    ]);
  });

  it("treats NaN and infinities as out of range (as protovalidate does)", () => {
    const rules = (speedKph: number) =>
      checker.check({ id: "ab12", power: { speedKph } }).map((x) => `${x.rule} ${x.ruleId}`);
    expect(rules(Number.NaN)).toEqual(["min number.gte_lte"]);
    expect(rules(Infinity)).toEqual(["max number.gte_lte"]);
    expect(rules(-Infinity)).toEqual(["min number.gte_lte"]);
  });

  it("checks string.uuid / string.tuuid with protovalidate's syntax and rule ids", () => {
    const ids = new ConstraintChecker({
      ...table,
      fields: [
        {
          path: "u",
          protoPath: "u",
          kind: "string",
          repeated: false,
          required: false,
          wellKnown: "uuid",
        },
        {
          path: "t",
          protoPath: "t",
          kind: "string",
          repeated: false,
          required: false,
          wellKnown: "tuuid",
        },
      ],
    });
    const ruleIds = (u: string, t: string) =>
      ids.check({ u, t }).map((x) => `${x.field} ${x.ruleId}`);
    // Hex digits in either case; hyphens exactly at 8-4-4-4-12 (uuid), none (tuuid).
    expect(
      ruleIds("0F1e2D3c-4b5A-6978-8a9B-aBcDeF012345", "0F1e2D3c4b5A69788a9BaBcDeF012345"),
    ).toEqual([]);
    expect(ruleIds("", "")).toEqual(["u string.uuid_empty", "t string.tuuid_empty"]);
    expect(
      ruleIds("0f1e2d3c4b5a69788a9babcdef012345", "0f1e2d3c-4b5a-6978-8a9b-abcdef012345"),
    ).toEqual(["u string.uuid", "t string.tuuid"]);
    expect(
      ruleIds("{0f1e2d3c-4b5a-6978-8a9b-abcdef012345}", "g f1e2d3c4b5a69788a9babcdef01234"),
    ).toEqual(["u string.uuid", "t string.tuuid"]);
    expect(
      ruleIds("0f1e2d3c4-b5a-6978-8a9b-abcdef012345", "0f1e2d3c4b5a69788a9babcdef012345"),
    ).toEqual(["u string.uuid"]);
  });
});
