import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnumCheck, type EnumFieldTable } from "../../src/handlers/codec.js";
import { PipelineFailure } from "../../src/handlers/failure.js";
import { checkEnums, validateRecord } from "../../src/handlers/validate.js";
import { CAR_A, encodeReading, reading, readingCodec, recordPolicy, T0 } from "./test-spec.js";

/**
 * A record type shaped as ts-proto decodes it (oneof=unions-value), with enum values at every
 * place a proto can hold one: a field, a list, a map, a oneof member, inside a list of
 * sub-messages, inside a oneof sub-message, and down a recursive type.
 */
interface Inner {
  kind: number; // Kind: 1, 5, 9 (not contiguous); JSON name `kindJson`
  kinds: number[];
}
interface Outer {
  mode: number; // Mode: 0, 1, 2
  items: Inner[];
  modes: Record<string, number>;
  choice?: { $case: "picked"; value: number } | { $case: "inner"; value: Inner };
  next?: Outer;
  label: string;
}

/** What the generator lists for `t.Outer` (see generator/model/enum-fields.ts). */
const TABLE: EnumFieldTable = {
  "t.Inner": [
    { key: "kind", name: "kindJson", values: [9, 1, 5] },
    { key: "kinds", each: "list", values: [1, 5, 9] },
  ],
  "t.Outer": [
    { key: "mode", values: [0, 1, 2] },
    { key: "items", each: "list", type: "t.Inner" },
    { key: "modes", each: "map", values: [0, 1, 2] },
    { key: "choice", case: "picked", name: "picked", values: [0, 1, 2] },
    { key: "choice", case: "inner", name: "inner", type: "t.Inner" },
    { key: "next", type: "t.Outer" },
  ],
};
const MODES = new Set([0, 1, 2]);
const KINDS = new Set([1, 5, 9]);

/** The reference: the paths the JSON mapping would write as "UNRECOGNIZED", in its field order. */
function expectedPaths(m: Outer, path = ""): string[] {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  const out: string[] = [];
  const inner = (i: Inner, p: string) => {
    if (!KINDS.has(i.kind)) out.push(`${p}.kindJson = ${i.kind}`);
    i.kinds.forEach((k, j) => {
      if (!KINDS.has(k)) out.push(`${p}.kinds[${j}] = ${k}`);
    });
  };
  if (!MODES.has(m.mode)) out.push(`${at("mode")} = ${m.mode}`);
  m.items.forEach((i, j) => inner(i, `${at("items")}[${j}]`));
  for (const [k, v] of Object.entries(m.modes))
    if (!MODES.has(v)) out.push(`${at("modes")}.${k} = ${v}`);
  if (m.choice?.$case === "picked" && !MODES.has(m.choice.value))
    out.push(`${at("picked")} = ${m.choice.value}`);
  if (m.choice?.$case === "inner") inner(m.choice.value, at("inner"));
  if (m.next) out.push(...expectedPaths(m.next, at("next")));
  return out;
}

const enumNumber = (known: number[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 12 }) },
  );
const innerArb: fc.Arbitrary<Inner> = fc.record({
  kind: enumNumber([1, 5, 9]),
  kinds: fc.array(enumNumber([1, 5, 9]), { maxLength: 3 }),
});
const outerArb: fc.Arbitrary<Outer> = fc.letrec<{ outer: Outer }>((tie) => ({
  outer: fc.record(
    {
      mode: enumNumber([0, 1, 2]),
      items: fc.array(innerArb, { maxLength: 3 }),
      modes: fc.dictionary(fc.constantFrom("a", "b", "7"), enumNumber([0, 1, 2])),
      choice: fc.oneof(
        fc.record({ $case: fc.constant("picked" as const), value: enumNumber([0, 1, 2]) }),
        fc.record({ $case: fc.constant("inner" as const), value: innerArb }),
      ),
      next: fc.option(tie("outer"), { nil: undefined, depthSize: "small" }),
      label: fc.string({ maxLength: 3 }),
    },
    { requiredKeys: ["mode", "items", "modes", "label"] },
  ),
})).outer;

describe("EnumCheck (generated enum fields read on the decoded record)", () => {
  const check = new EnumCheck("t.Outer", TABLE);

  it("finds every value outside its enum — nested, repeated, map, oneof, recursive — as the JSON mapping would", () => {
    fc.assert(
      fc.property(outerArb, (m) => {
        const expected = expectedPaths(m);
        expect(check.allKnown(m)).toBe(expected.length === 0);
        expect(check.unknownPaths(m)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("names the place of a nested and a repeated hit, and ignores unset fields and other oneof cases", () => {
    const ok: Outer = { mode: 1, items: [{ kind: 5, kinds: [9, 1] }], modes: { a: 2 }, label: "" };
    expect(check.unknownPaths(ok)).toEqual([]);
    const bad: Outer = {
      ...ok,
      items: [
        { kind: 5, kinds: [] },
        { kind: 2, kinds: [1, 7] },
      ],
      choice: { $case: "inner", value: { kind: 0, kinds: [] } },
      next: { ...ok, modes: { b: 3 } },
    };
    expect(check.unknownPaths(bad)).toEqual([
      "items[1].kindJson = 2",
      "items[1].kinds[1] = 7",
      "inner.kindJson = 0",
      "next.modes.b = 3",
    ]);
    // A missing sub-message and a number in another oneof case are not enum values of the field.
    expect(check.allKnown({ mode: 0, items: [], modes: {}, label: "x", next: undefined })).toBe(
      true,
    );
  });

  it("a type with no enum fields (absent from the table) accepts anything", () => {
    expect(new EnumCheck("t.None", TABLE).unknownPaths({ mode: 99 })).toEqual([]);
  });

  it("checkEnums rejects as a range violation with the located detail", () => {
    const codec = { ...readingCodec, enums: check } as unknown as typeof readingCodec;
    const bad = { mode: 0, items: [{ kind: 4, kinds: [] }], modes: {}, label: "" };
    expect(() => checkEnums(codec, bad as never)).toThrow(PipelineFailure);
    try {
      checkEnums(codec, bad as never);
    } catch (e) {
      expect((e as PipelineFailure).signal).toBe("range-violation");
      expect((e as PipelineFailure).detail).toBe(
        "enum value outside its enum: items[0].kindJson = 4",
      );
    }
  });

  it("validateRecord: an unknown enum is rejected; the stored document is built only when read", () => {
    const policy = recordPolicy;
    expect(() =>
      validateRecord(readingCodec, encodeReading(reading({ mode: 7 })), CAR_A, T0, policy),
    ).toThrow("enum value outside its enum: mode = 7");
    let built = 0;
    const counting = {
      ...readingCodec,
      toStored: (r: Parameters<typeof readingCodec.toStored>[0]) => {
        built++;
        return readingCodec.toStored(r);
      },
    };
    const valid = validateRecord(counting, encodeReading(reading({ mode: 2 })), CAR_A, T0, policy);
    expect(built).toBe(0);
    expect(valid.document).toMatchObject({ mode: "STANDBY" });
    expect(valid.document).toBe(valid.document);
    expect(built).toBe(1);
  });
});
