/**
 * The compiled constraint check (`compileFastCheck`, the hot path of validation) against the
 * interpreter it stands in for: same verdict on every message fast-check draws for a table
 * using every rule family, and the fixed-position pattern test against `RegExp` itself.
 * (The interpreter's violations against protovalidate: test/protovalidate-differential.test.ts.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFastCheck } from "../../src/constraint-compiler.js";
import { compilePattern, fixedPositions } from "../../src/constraint-pattern.js";
import { ConstraintChecker, type MessageConstraints } from "../../src/constraints.js";

const SEED = 20261129;

const table: MessageConstraints = {
  message: "fx.All",
  schemaVersion: 1,
  minSupportedSchemaVersion: 1,
  fields: [
    {
      path: "id",
      protoPath: "id",
      kind: "string",
      repeated: false,
      required: true,
      ruleType: "string",
      pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    },
    {
      path: "vin",
      protoPath: "vin",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      pattern: "^VIN-[A-HJ-NPR-Z0-9]{3}$",
      ignoreZero: true,
    },
    {
      path: "free",
      protoPath: "free",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      pattern: "^(a|b)+$",
    },
    {
      path: "t",
      protoPath: "t",
      kind: "bigint-number",
      repeated: false,
      required: true,
      ruleType: "uint64",
      min: 10,
      max: 20,
    },
    {
      path: "s.f",
      protoPath: "s.f",
      kind: "number",
      repeated: false,
      required: false,
      ruleType: "float",
      min: -1,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
    },
    {
      path: "s.d",
      protoPath: "s.d",
      kind: "number",
      repeated: false,
      required: false,
      ruleType: "double",
      finite: true,
      notIn: [0.5],
    },
    {
      path: "s.deep.n",
      protoPath: "s.deep.n",
      kind: "number",
      repeated: false,
      required: false,
      ruleType: "int32",
      in: [1, 2, 3],
    },
    {
      path: "e",
      protoPath: "e",
      kind: "enum",
      repeated: false,
      required: false,
      ruleType: "enum",
      definedOnly: [0, 1, 2],
      const: 1,
    },
    {
      path: "a",
      protoPath: "a",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      prefix: "a",
      suffix: "z",
      contains: "m",
      notContains: "x",
      minLength: 3,
      maxLength: 6,
    },
    {
      path: "b",
      protoPath: "b",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      len: 2,
      minBytes: 2,
      maxBytes: 4,
      lenBytes: 3,
    },
    {
      path: "u",
      protoPath: "u",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      wellKnown: "uuid",
    },
    {
      path: "tu",
      protoPath: "tu",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      wellKnown: "tuuid",
      in: ["", "0123456789abcdef0123456789ABCDEF"],
    },
    {
      path: "y",
      protoPath: "y",
      kind: "bytes",
      repeated: false,
      required: false,
      ruleType: "bytes",
      minLength: 1,
      maxLength: 2,
    },
    {
      path: "flag",
      protoPath: "flag",
      kind: "bool",
      repeated: false,
      required: false,
      ruleType: "bool",
      const: true,
    },
    {
      path: "r",
      protoPath: "r",
      kind: "number",
      repeated: true,
      required: false,
      ruleType: "int32",
      minItems: 1,
      maxItems: 3,
      unique: true,
      min: 0,
    },
    {
      path: "codes",
      protoPath: "codes",
      kind: "string",
      repeated: true,
      required: false,
      ruleType: "string",
      pattern: "^P[0-9]{4}$",
      ignoreZero: true,
    },
    { path: "inner", protoPath: "inner", kind: "message", repeated: false, required: true },
    { path: "choice", protoPath: "choice", kind: "oneof", repeated: false, required: true },
    {
      path: "choice.value",
      protoPath: "z",
      kind: "number",
      repeated: false,
      required: false,
      ruleType: "double",
      finite: true,
      oneofs: [{ at: 0, case: "z" }],
    },
    {
      path: "choice.value.id",
      protoPath: "x.id",
      kind: "string",
      repeated: false,
      required: false,
      ruleType: "string",
      pattern: "^[a-c]{1,3}$",
      oneofs: [{ at: 0, case: "x" }],
    },
    // A property name that would break out of a string literal if it were spliced as code.
    {
      path: 'we"ird\\',
      protoPath: "weird",
      kind: "number",
      repeated: false,
      required: false,
      ruleType: "int32",
      max: 5,
    },
  ],
};

const edge = fc.constantFrom(
  0,
  1,
  -1,
  0.5,
  2,
  3,
  5,
  6,
  10,
  15,
  20,
  21,
  NaN,
  Infinity,
  -Infinity,
  -0.99,
  0.99,
);
const str = fc.oneof(
  fc.constantFrom(
    "",
    "a",
    "amz",
    "amxz",
    "ab",
    "é",
    "😀",
    "abc",
    "P0420",
    "P042",
    "VIN-AB1",
    "VIN-ABI",
    "0123456789abcdef0123456789ABCDEF",
    "01234567-89ab-4def-8123-456789abcdef",
    "01234567-89ab-4def-c123-456789abcdef",
    "01234567-89AB-4DEF-8123-456789ABCDEF",
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 5 });
/** A valid message (every rule holds). */
const ok: Record<string, unknown> = {
  id: "01234567-89ab-4def-8123-456789abcdef",
  vin: "",
  free: "abba",
  t: 12,
  s: { f: 0, d: 1, deep: { n: 2 } },
  e: 1,
  a: "amz",
  b: "aé",
  u: "01234567-89AB-4DEF-8123-456789ABCDEF",
  tu: "0123456789abcdef0123456789ABCDEF",
  y: new Uint8Array([1]),
  flag: true,
  r: [0, 1],
  codes: ["P0420"],
  inner: {},
  choice: { $case: "x", value: { id: "abc" } },
  'we"ird\\': 5,
};

/** Any values, drawn per field. */
const anything = fc.record({
  id: str,
  vin: str,
  free: str,
  t: edge,
  s: maybe(fc.record({ f: edge, d: edge, deep: maybe(fc.record({ n: edge })) })),
  e: fc.constantFrom(0, 1, 2, 3, -1),
  a: str,
  b: str,
  u: str,
  tu: str,
  y: fc.uint8Array({ maxLength: 3 }),
  flag: fc.boolean(),
  r: fc.array(fc.constantFrom(-1, 0, 1, 2), { maxLength: 4 }),
  codes: fc.array(str, { maxLength: 2 }),
  inner: maybe(fc.record({})),
  choice: maybe(
    fc.oneof(
      fc.record({ $case: fc.constant("z"), value: edge }),
      fc.record({ $case: fc.constant("x"), value: fc.record({ id: str }) }),
    ),
  ),
  'we"ird\\': edge,
});

/** The valid message with each field replaced by a drawn value one time in four. */
const message = fc
  .tuple(anything, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 20, maxLength: 20 }))
  .map(([drawn, dice]) => {
    const m: Record<string, unknown> = { ...ok };
    Object.keys(drawn).forEach((k, i) => {
      if (dice[i % dice.length] === 0) m[k] = (drawn as Record<string, unknown>)[k];
    });
    return m;
  });

describe("compiled constraint check", () => {
  const fast = compileFastCheck(table)!;
  const interpreter = new ConstraintChecker(table, { compile: false });
  const checker = new ConstraintChecker(table);

  it("compiles (code generation is allowed here)", () => {
    expect(typeof fast).toBe("function");
  });

  it("gives the interpreter's verdict on every drawn message, valid or not", () => {
    let valid = 0;
    let total = 0;
    fc.assert(
      fc.property(message, (m) => {
        const violations = interpreter.check(m);
        expect(fast(m)).toBe(violations.length === 0);
        expect(checker.valid(m)).toBe(violations.length === 0);
        expect(checker.check(m)).toEqual(violations);
        total++;
        if (violations.length === 0) valid++;
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(total);
  });

  it("accepts a hand-made valid message and rejects each single broken rule", () => {
    expect(interpreter.check(ok)).toEqual([]);
    expect(fast(ok)).toBe(true);
    const broken: Record<string, unknown>[] = [
      { id: "01234567-89ab-4def-c123-456789abcdef" },
      { vin: "VIN-AI1" },
      { free: "abc" },
      { t: 21 },
      { s: { f: 1, d: 1 } },
      { s: { f: 0, d: Infinity } },
      { s: { f: 0, d: 1, deep: { n: 4 } } },
      { e: 2 },
      { a: "amxz" },
      { b: "ab" },
      { u: "" },
      { tu: "0123456789abcdef0123456789abcdef" },
      { y: new Uint8Array() },
      { flag: false },
      { r: [0, 0] },
      { codes: ["P04200"] },
      { inner: undefined },
      { choice: undefined },
      { choice: { $case: "x", value: { id: "abcd" } } },
      { 'we"ird\\': 6 },
    ];
    for (const change of broken) {
      const m = { ...ok, ...change };
      expect(interpreter.check(m).length, JSON.stringify(change)).toBeGreaterThan(0);
      expect(fast(m), JSON.stringify(change)).toBe(false);
    }
  });
});

describe("fixed-position patterns", () => {
  it("recognises the fixed-position subset and nothing else", () => {
    expect(fixedPositions("^VIN-[A-HJ-NPR-Z0-9]{17}$")?.length).toBe(21);
    expect(fixedPositions("^P[0-9]{4}\\.x$")?.length).toBe(7);
    for (const p of [
      "VIN",
      "^a",
      "a$",
      "^a+$",
      "^a{1,3}$",
      "^[^a]$",
      "^a|b$",
      "^(ab)$",
      "^.$",
      "^\\d$",
      "^[a-]$",
      "^[\\w]$",
      "^é$",
      "^a\\$",
      "^$",
      "^a{2}?$",
      "^[]$",
    ])
      expect(fixedPositions(p), p).toBeUndefined();
  });

  const atom = fc.oneof(
    fc.constantFrom("a", "Z", "0", "-", "_", " ", "\\.", "\\$", "\\/", ":"),
    fc
      .array(fc.constantFrom("a-c", "x", "0-9", "A-F", "_", ".", "$", "|", "^"), {
        minLength: 1,
        maxLength: 3,
      })
      .map((items) => `[${items.join("")}]`)
      .filter((c) => !c.startsWith("[^")),
  );
  const pattern = fc
    .array(fc.tuple(atom, fc.constantFrom("", "{2}", "{0}", "{3}")), { minLength: 1, maxLength: 4 })
    .map((parts) => `^${parts.map(([a, q]) => a + q).join("")}$`);

  it("answers as RegExp(pattern, 'u') does, on near matches and on any string", () => {
    fc.assert(
      fc.property(pattern, fc.array(fc.string({ maxLength: 10 }), { maxLength: 8 }), (p, noise) => {
        const re = new RegExp(p, "u");
        const test = compilePattern(p);
        const positions = fixedPositions(p);
        // A string built to match, then the same with one character changed or appended.
        const sample = (positions ?? []).map((codes) => String.fromCharCode(codes[0]!)).join("");
        const near = [sample, `${sample}a`, sample.slice(1), `é${sample.slice(1)}`, `😀${sample}`];
        for (const s of [...near, ...noise])
          expect(test(s), `${p} ${JSON.stringify(s)}`).toBe(re.test(s));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
