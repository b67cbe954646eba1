/**
 * protovalidate annotations in a spec's proto/: `buf/validate/validate.proto` resolves offline
 * (from the npm package), supported rules compile into checker entries, every other rule is a
 * located error at the field (file:line:col), never a crash.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto } from "../generator/load/proto.js";
import { collectFieldRules } from "../generator/load/protovalidate-rules.js";
import { materialiseProtovalidate } from "../generator/load/protovalidate.js";
import { ConstraintChecker, type FieldConstraint } from "../runtime/src/constraints.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A spec root whose proto/t/v1/t.proto is `body` (after the header). */
function spec(body: string): string {
  const root = mkdtempSync(join(tmpdir(), "v2c-pv-"));
  dirs.push(root);
  mkdirSync(join(root, "proto", "t", "v1"), { recursive: true });
  writeFileSync(
    join(root, "proto", "t", "v1", "t.proto"),
    `syntax = "proto3";\n\npackage t.v1;\n\nimport "buf/validate/validate.proto";\n\n${body}`,
  );
  return root;
}

async function rules(root: string, message = "t.v1.M") {
  const bag = new DiagnosticBag();
  const proto = await loadProto(root, bag);
  expect(bag.sorted().filter((d) => d.code === "proto/compile")).toEqual([]);
  const table = collectFieldRules(proto!, proto!.registry.getMessage(message)!, bag);
  return { table, diagnostics: bag.sorted() };
}

describe("protovalidate rules", () => {
  it("materialises buf/validate/validate.proto from the npm package, outside the repository", () => {
    const dir = materialiseProtovalidate();
    expect(dir).toMatch(/node_modules[/\\]\.cache[/\\]v2c-protovalidate$/);
    const text = readFileSync(join(dir, "buf/validate/validate.proto"), "utf8");
    expect(text).toContain("package buf.validate;");
    expect(text).toMatch(
      /extend \.google\.protobuf\.FieldOptions \{\n\s+optional \.buf\.validate\.FieldRules field = 1159;/,
    );
  });

  it("compiles ranges, strings, items, oneof members and oneof required into checker entries", async () => {
    const root = spec(`message M {
  float speed = 1 [(buf.validate.field).float = { gt: 0, lt: 300 }];
  string id = 2 [(buf.validate.field).required = true, (buf.validate.field).string = { prefix: "VIN-", max_len: 20 }];
  repeated uint32 codes = 3 [(buf.validate.field).repeated = { max_items: 2, unique: true, items: { uint32: { in: [1, 2, 3] } } }];
  Inner inner = 4;
  oneof action {
    option (buf.validate.oneof).required = true;
    Inner a = 5;
    string b = 6 [(buf.validate.field).string.min_len = 2];
  }
  int32 quiet = 7 [(buf.validate.field).ignore = IGNORE_IF_ZERO_VALUE, (buf.validate.field).int32.gte = 10];
}
message Inner {
  E e = 1 [(buf.validate.field).enum.defined_only = true];
}
enum E {
  E_UNSPECIFIED = 0;
  E_ONE = 1;
}
`);
    const { table, diagnostics } = await rules(root);
    expect(diagnostics).toEqual([]);
    const checker = new ConstraintChecker({
      message: "t.v1.M",
      schemaVersion: 1,
      minSupportedSchemaVersion: 1,
      fields: table as FieldConstraint[],
    });
    const ok = {
      speed: 1,
      id: "VIN-1",
      codes: [1, 2],
      inner: { e: 1 },
      action: { $case: "b", value: "xy" },
      quiet: 0,
    };
    expect(checker.check(ok)).toEqual([]);
    const bad = {
      speed: 300,
      id: "X",
      codes: [4, 4, 4],
      inner: { e: 7 },
      action: { $case: "a", value: { e: 9 } },
      quiet: 3,
    };
    expect(
      checker
        .check(bad)
        .map((v) => `${v.field} ${v.ruleId}`)
        .sort(),
    ).toEqual([
      "a.e enum.defined_only",
      "codes repeated.max_items",
      "codes repeated.unique",
      "codes[0] uint32.in",
      "codes[1] uint32.in",
      "codes[2] uint32.in",
      "id string.prefix",
      "inner.e enum.defined_only",
      "quiet int32.gte",
      "speed float.gt_lt",
    ]);
    expect(checker.check({ ...ok, action: undefined }).map((v) => `${v.field} ${v.rule}`)).toEqual([
      "action required",
    ]);
  });

  it("reports CEL, unsupported rules, exclusive ranges and mismatched types at the field", async () => {
    const root = spec(`message M {
  int32 a = 1 [(buf.validate.field).cel = { id: "pos", expression: "this > 0" }];
  string b = 2 [(buf.validate.field).string.email = true];
  float c = 3 [(buf.validate.field).float = { gt: 10, lt: 5 }];
  uint32 d = 4 [(buf.validate.field).int32.gte = 1];
  repeated Inner e = 5;
  string f = 6 [(buf.validate.field).string.pattern = "(?<x"];
}
message Inner {
  int32 x = 1 [(buf.validate.field).int32.gte = 1];
}
`);
    const { diagnostics } = await rules(root);
    const lines = diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
    expect(lines).toEqual([
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:8:3 proto\/unsupported-rule field a: CEL rules/,
      ),
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:9:3 proto\/unsupported-rule field b: rule string\.email is not compiled/,
      ),
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:10:3 proto\/bad-range field c: lower bound 10 is above upper bound 5/,
      ),
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:11:3 proto\/unsupported-rule field d: int32 rules do not apply to a field of type uint32/,
      ),
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:12:3 proto\/unsupported-rule field e: rules inside the elements of a list/,
      ),
      expect.stringMatching(
        /^proto\/t\/v1\/t\.proto:13:3 proto\/unsupported-rule field f: pattern is not a valid regular expression/,
      ),
    ]);
  });

  it("reports message-level CEL rules at the message", async () => {
    const root = spec(`message M {
  option (buf.validate.message).cel = { id: "x", expression: "this.a < 3" };
  int32 a = 1;
}
`);
    const { diagnostics } = await rules(root);
    expect(diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      "proto/t/v1/t.proto:7 proto/unsupported-rule",
    ]);
    expect(diagnostics[0]!.message).toMatch(
      /\(buf\.validate\.message\) cel rules are not compiled/,
    );
  });

  it("turns a misspelt rule into a located compile error (buf's message)", async () => {
    const root = spec(`message M {
  float a = 1 [(buf.validate.field).float = { gte: 0, lte_x: 1 }];
}
`);
    const bag = new DiagnosticBag();
    expect(await loadProto(root, bag)).toBeUndefined();
    const [d] = bag.sorted();
    expect(`${d!.file}:${d!.line} ${d!.code}`).toBe("proto/t/v1/t.proto:8 proto/compile");
    expect(d!.message).toMatch(/cannot resolve message field name/);
  });

  it("still reads the deprecated (v2c.options.v1.field) option, with a warning naming the rule to write", async () => {
    const root = spec(`import "v2c/options/v1/constraints.proto";

message M {
  repeated string codes = 1 [(v2c.options.v1.field) = { pattern: "^[A-Z]$", max_items: 2 }];
  float speed = 2 [(v2c.options.v1.field) = { required: true, min: 0, max: 300, unit: "km/h" }];
}
`);
    mkdirSync(join(root, "proto", "v2c", "options", "v1"), { recursive: true });
    writeFileSync(
      join(root, "proto", "v2c", "options", "v1", "constraints.proto"),
      readFileSync(
        join(import.meta.dirname, "..", "proto", "v2c", "options", "v1", "constraints.proto"),
      ),
    );
    const { table, diagnostics } = await rules(root);
    expect(
      diagnostics.map((d) => `${d.severity} ${d.line}:${d.column} ${d.code} ${d.message}`),
    ).toEqual([
      'warning 10:3 proto/deprecated-constraints field codes: (v2c.options.v1.field) is deprecated; write [(buf.validate.field).repeated = { max_items: 2, items: { string: { pattern: "^[A-Z]$" } } }]',
      'warning 11:3 proto/deprecated-constraints field speed: (v2c.options.v1.field) is deprecated; write [(buf.validate.field).required = true, (buf.validate.field) = { float: { gte: 0, lte: 300 } }, (v2c.options.v1.unit) = "km/h"]',
    ]);
    const checker = new ConstraintChecker({
      message: "t.v1.M",
      schemaVersion: 1,
      minSupportedSchemaVersion: 1,
      fields: table as FieldConstraint[],
    });
    expect(
      checker.check({ codes: ["A", "b", "C"], speed: 301 }).map((v) => `${v.field} ${v.ruleId}`),
    ).toEqual(["codes repeated.max_items", "codes[1] string.pattern", "speed float.gte_lte"]);
  });
});
