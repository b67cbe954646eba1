/**
 * Differential test: the generator's compiled constraint checkers against the reference
 * implementation, `@bufbuild/protovalidate`, on the same bytes. fast-check (fixed seed) draws
 * messages of every payload type of proto/ from the descriptors and the compiled rules — valid
 * samples and mutated ones (values just outside a bound, NaN, infinities, empty and random
 * strings, too many items, unset required fields) — encodes them with protobuf-es, and then:
 * - protovalidate validates the protobuf-es message decoded from those bytes;
 * - the compiled checker checks the ts-proto representation of the same bytes (ts-proto's
 *   shape: camelCase properties, 64-bit as numbers, oneofs as `{ $case, value }`).
 * Both must give the same verdict and the same (field path, rule id) multiset.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  create,
  fromBinary,
  toBinary,
  type DescField,
  type DescMessage,
  type Message,
} from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto, type LoadedProto } from "../generator/load/proto.js";
import { collectFieldRules } from "../generator/load/protovalidate-rules.js";
import { isLibraryProto } from "../generator/load/protovalidate.js";
import type { FieldConstraintModel } from "../generator/model/types.js";
import { ConstraintChecker, type FieldConstraint } from "../runtime/src/constraints.js";

const REPO = resolve(import.meta.dirname, "..");
const SEED = Number(process.env.DIFF_SEED ?? 20261129);
const RUNS = Number(process.env.DIFF_RUNS ?? 400);

/** A spec using every rule family the generator compiles (beyond what the seed uses). */
const FIXTURE = `syntax = "proto3";
package fx.v1;
import "buf/validate/validate.proto";
message All {
  float f = 1 [(buf.validate.field).float = { gt: -1, lt: 1 }];
  double d = 2 [(buf.validate.field).double = { gte: -5, lte: 5, not_in: [0] }];
  int32 i = 3 [(buf.validate.field).int32 = { in: [-1, 1, 3] }];
  sint64 s = 4 [(buf.validate.field).sint64.lt = 3];
  uint64 u = 5 [(buf.validate.field).uint64 = { gte: 1, lte: 3 }, (buf.validate.field).ignore = IGNORE_IF_ZERO_VALUE];
  string a = 6 [(buf.validate.field).string = { prefix: "a", suffix: "z", max_len: 4 }];
  string b = 7 [(buf.validate.field).string = { min_bytes: 2, max_bytes: 3, not_contains: "x" }];
  string c = 8 [(buf.validate.field).string = { len: 2 }];
  string k = 9 [(buf.validate.field).string = { in: ["", "ab"] }];
  bytes y = 10 [(buf.validate.field).bytes = { min_len: 1, max_len: 2 }];
  bool t = 11 [(buf.validate.field).bool.const = true];
  E e = 12 [(buf.validate.field).enum = { defined_only: true, not_in: [2] }];
  repeated int32 r = 13 [(buf.validate.field).repeated = { min_items: 1, max_items: 3, unique: true, items: { int32: { gte: 0 } } }];
  Inner inner = 14 [(buf.validate.field).required = true];
  oneof choice {
    option (buf.validate.oneof).required = true;
    Inner x = 15;
    double z = 16 [(buf.validate.field).double.finite = true];
  }
  string uid = 17 [(buf.validate.field).string.uuid = true];
  string tid = 18 [(buf.validate.field).string.tuuid = true];
  string oid = 19 [(buf.validate.field).string.uuid = true, (buf.validate.field).ignore = IGNORE_IF_ZERO_VALUE];
  repeated string ids = 20 [(buf.validate.field).repeated.items.string.uuid = true];
}
message Inner {
  string id = 1 [(buf.validate.field).string.pattern = "^[a-c]{1,3}$"];
  fixed32 n = 2 [(buf.validate.field).fixed32.const = 7];
}
enum E {
  E_UNSPECIFIED = 0;
  E_ONE = 1;
  E_TWO = 2;
}
`;

let proto: LoadedProto;
let payloads: DescMessage[];
let fixture: { proto: LoadedProto; all: DescMessage };
beforeAll(async () => {
  const bag = new DiagnosticBag();
  proto = (await loadProto(REPO, bag))!;
  expect(bag.sorted()).toEqual([]);
  payloads = proto.set.file
    .filter((f) => !isLibraryProto(f.name) && !f.name.startsWith("v2c/options/"))
    .flatMap((f) => proto.registry.getFile(f.name)!.messages);
  const root = mkdtempSync(join(tmpdir(), "v2c-pv-diff-"));
  mkdirSync(join(root, "proto", "fx", "v1"), { recursive: true });
  writeFileSync(join(root, "proto", "fx", "v1", "all.proto"), FIXTURE);
  const fx = (await loadProto(root, bag))!;
  rmSync(root, { recursive: true, force: true });
  expect(bag.sorted()).toEqual([]);
  fixture = { proto: fx, all: fx.registry.getMessage("fx.v1.All")! };
}, 60_000);

type Rules = ReadonlyMap<string, FieldConstraintModel>;

/** Rules of a message keyed by proto path (list indexes and oneof cases stripped). */
function rulesOf(
  desc: DescMessage,
  from = proto,
): { table: FieldConstraintModel[]; byPath: Rules } {
  const bag = new DiagnosticBag();
  const table = collectFieldRules(from, desc, bag);
  expect(bag.sorted()).toEqual([]);
  return { table, byPath: new Map(table.map((c) => [c.protoPath, c])) };
}

const f32 = Math.fround;

/** Values inside the field's rules (a required field never gets its zero value). */
function validScalar(field: DescField, c: FieldConstraintModel | undefined): fc.Arbitrary<unknown> {
  const scalar = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (scalar === "enum") {
    const values = field.enum!.values.map((v) => v.number).filter((n) => !c?.required || n !== 0);
    return fc.constantFrom(...values);
  }
  if (c && field.scalar === 9) {
    if (c.wellKnown) return uuidArb(c.wellKnown);
    if (c.pattern) return fc.stringMatching(new RegExp(c.pattern));
    return fc.string({ minLength: c.required ? 1 : 0, maxLength: c.maxLength ?? 16 });
  }
  const t = field.scalar;
  switch (t) {
    case 9:
      return fc.string({ maxLength: 12 });
    case 12:
      return fc.uint8Array({ minLength: c?.required ? 1 : 0, maxLength: 8 });
    case 8:
      return c?.required ? fc.constant(true) : fc.boolean();
    case 1:
    case 2: {
      const lo = c?.min ?? -1e6;
      const hi = c?.max ?? 1e6;
      const arb =
        t === 2
          ? fc.float({ min: f32(lo), max: f32(hi), noNaN: true })
          : fc.double({ min: lo, max: hi, noNaN: true });
      return c?.required ? arb.filter((x) => x !== 0) : arb;
    }
    default: {
      const big = [3, 4, 6, 16, 18].includes(t!);
      const unsigned = [4, 6, 7, 13].includes(t!);
      const lo = Math.max(c?.min ?? (unsigned ? 0 : -1e6), c?.required ? 1 : -Infinity);
      const hi = c?.max ?? 1e6;
      const ints = fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) });
      return big ? ints.map((n) => BigInt(n)) : ints;
    }
  }
}

/** Values at and beyond the edges of the field's rules (and type edges). */
function mutatedScalar(
  field: DescField,
  c: FieldConstraintModel | undefined,
): fc.Arbitrary<unknown> {
  const scalar = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (scalar === "enum") return fc.constantFrom(0, 1, 99, -1);
  const t = field.scalar;
  if (t === 9)
    return fc.oneof(
      ...(c?.wellKnown ? [uuidMutants(c.wellKnown)] : []),
      fc.constant(""),
      fc.string({ maxLength: 300 }),
      validScalar(field, c).map((s) => `${s as string}x`),
    );
  if (t === 12) return fc.uint8Array({ maxLength: 4 });
  if (t === 8) return fc.boolean();
  const edges: number[] = [0];
  for (const b of [c?.min, c?.max])
    if (b !== undefined) edges.push(b, b - 1, b + 1, b - 0.5, b + 0.5);
  if (t === 1 || t === 2)
    return fc
      .constantFrom(...edges, NaN, Infinity, -Infinity, 1e39)
      .map((x) => (t === 2 ? f32(x) : x));
  const big = [3, 4, 6, 16, 18].includes(t!);
  const unsigned = [4, 6, 7, 13].includes(t!);
  const ints = edges.map(Math.trunc).filter((x) => !unsigned || x >= 0);
  return fc.constantFrom(...ints).map((n) => (big ? BigInt(n) : n));
}

/** UUIDs as protovalidate's `string.uuid` (8-4-4-4-12) / `string.tuuid` (32 digits) take them, hex digits in mixed case. */
function uuidArb(format: "uuid" | "tuuid"): fc.Arbitrary<string> {
  const hex = fc
    .array(fc.constantFrom(..."0123456789abcdefABCDEF"), { minLength: 32, maxLength: 32 })
    .map((d) => d.join(""));
  if (format === "tuuid") return hex;
  return hex.map((h) =>
    [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-"),
  );
}

/** Near-miss UUIDs: the other format, braces, a non-hex digit, a misplaced hyphen, one digit short or long. */
function uuidMutants(format: "uuid" | "tuuid"): fc.Arbitrary<string> {
  const other = format === "uuid" ? "tuuid" : "uuid";
  return fc.oneof(
    uuidArb(other),
    uuidArb(format).map((u) => `{${u}}`),
    uuidArb(format).map((u) => `g${u.slice(1)}`),
    uuidArb(format).map((u) => u.slice(1)),
    uuidArb(format).map((u) => `${u}0`),
    uuidArb(format).map((u) => ` ${u}`),
    uuidArb("uuid").map((u) => u.replace("-", "").replace(/^(.{7})/, "$1-")),
    uuidArb(format).map((u) => u.toUpperCase()),
  );
}

/** A protobuf-es init object for `desc`; `mutate` mixes edge values into every field. */
function messageArb(
  desc: DescMessage,
  byPath: Rules,
  mutate: boolean,
  prefix = "",
  depth = 0,
): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  const key = (f: DescField) => (prefix ? `${prefix}.${f.name}` : f.name);
  for (const field of desc.fields) {
    if (field.oneof) continue;
    parts[field.localName] = fieldArb(field, byPath, mutate, key(field), depth);
  }
  for (const oneof of desc.oneofs) {
    parts[oneof.localName] = fc.oneof(
      fc.constant(undefined),
      ...oneof.fields.map((f) =>
        (f.fieldKind === "message"
          ? messageArb(f.message, byPath, mutate, key(f), depth + 1)
          : fieldArb(f, byPath, mutate, key(f), depth)
        ).map((value) => ({ case: f.localName, value })),
      ),
    );
  }
  return fc.record(parts);
}

function fieldArb(
  field: DescField,
  byPath: Rules,
  mutate: boolean,
  path: string,
  depth: number,
): fc.Arbitrary<unknown> {
  const c = byPath.get(path);
  if (field.fieldKind === "message") {
    const inner = messageArb(field.message, byPath, mutate, path, depth + 1);
    return depth > 3 ? fc.constant(undefined) : fc.option(inner, { nil: undefined, freq: 4 });
  }
  const valid = validScalar(field, c);
  const one = mutate
    ? fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: mutatedScalar(field, c), weight: 1 })
    : valid;
  if (field.fieldKind !== "list") return one;
  const min = c?.minItems ?? (c?.required ? 1 : 0);
  const max = Math.min(c?.maxItems ?? 4, 6);
  return mutate
    ? fc.array(one, { maxLength: (c?.maxItems ?? 4) + 2 })
    : fc.array(one, { minLength: min, maxLength: Math.max(min, max) });
}

/** The ts-proto representation of a protobuf-es message (what the generated code decodes). */
function tsProtoShape(desc: DescMessage, msg: Message): Record<string, unknown> {
  const m = msg as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const conv = (f: DescField, v: unknown): unknown => {
    if (typeof v === "bigint") return Number(v);
    if (f.fieldKind === "message" && v !== undefined) return tsProtoShape(f.message, v as Message);
    if (f.fieldKind === "list")
      return (v as unknown[]).map((x) => (typeof x === "bigint" ? Number(x) : x));
    return v;
  };
  for (const f of desc.fields) if (!f.oneof) out[f.localName] = conv(f, m[f.localName]);
  for (const o of desc.oneofs) {
    const u = m[o.localName] as { case?: string; value?: unknown };
    const f = o.fields.find((x) => x.localName === u.case);
    out[o.localName] = f ? { $case: f.localName, value: conv(f, u.value) } : undefined;
  }
  return out;
}

const validator = createValidator();

/** Both verdicts on the same bytes, as sorted `path rule-id` lists. */
function verdicts(desc: DescMessage, checker: ConstraintChecker, init: Record<string, unknown>) {
  const bytes = toBinary(desc, create(desc, init as never));
  const decoded = fromBinary(desc, bytes);
  const result = validator.validate(desc, decoded);
  if (result.kind === "error") throw result.error;
  const reference = (result.violations ?? [])
    .map((v) => `${pathToString(v.field)} ${v.ruleId}`)
    .sort();
  const compiled = checker
    .check(tsProtoShape(desc, decoded))
    .map((v) => `${v.field} ${v.ruleId}`)
    .sort();
  return { reference, compiled };
}

describe("compiled checkers vs @bufbuild/protovalidate (fast-check, seeded)", () => {
  it("finds payload messages with rules in proto/", () => {
    expect(
      payloads.filter((d) => rulesOf(d).table.some((c) => c.ruleType || c.required)).length,
    ).toBeGreaterThan(2);
  });

  for (const mode of ["valid", "mutated"] as const) {
    it(`agrees on ${mode} samples of every payload message`, () => {
      let invalid = 0;
      let total = 0;
      for (const desc of payloads) {
        const { table, byPath } = rulesOf(desc);
        const checker = new ConstraintChecker({
          message: desc.typeName,
          schemaVersion: 1,
          minSupportedSchemaVersion: 1,
          fields: table as FieldConstraint[],
        });
        fc.assert(
          fc.property(messageArb(desc, byPath, mode === "mutated"), (init) => {
            const { reference, compiled } = verdicts(desc, checker, init);
            total++;
            if (reference.length > 0) invalid++;
            expect(compiled).toEqual(reference);
            if (mode === "valid") expect(reference).toEqual([]);
          }),
          { seed: SEED, numRuns: RUNS },
        );
      }
      // The mutated runs must actually exercise violations (not only valid messages).
      if (mode === "mutated") expect(invalid).toBeGreaterThan(total / 4);
    }, 120_000);
  }

  it("agrees on a fixture using every compiled rule family (mutated samples)", () => {
    const { table, byPath } = rulesOf(fixture.all, fixture.proto);
    const checker = new ConstraintChecker({
      message: "fx.v1.All",
      schemaVersion: 1,
      minSupportedSchemaVersion: 1,
      fields: table as FieldConstraint[],
    });
    const seen = new Set<string>();
    fc.assert(
      fc.property(messageArb(fixture.all, byPath, true), (init) => {
        const { reference, compiled } = verdicts(fixture.all, checker, init);
        reference.forEach((r) => seen.add(r.replace(/\[\d+\]/, "[]")));
        expect(compiled).toEqual(reference);
      }),
      { seed: SEED, numRuns: RUNS * 3 },
    );
    // Most rules were seen failing at least once.
    expect(seen.size).toBeGreaterThan(15);
    for (const r of [
      "uid string.uuid",
      "uid string.uuid_empty",
      "tid string.tuuid",
      "tid string.tuuid_empty",
      "oid string.uuid",
      "ids[] string.uuid",
    ])
      expect(seen).toContain(r);
  }, 120_000);
});
