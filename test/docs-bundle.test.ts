import { resolve } from "node:path";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLED_ASYNCAPI_PATH,
  PROTOBUF_SCHEMA_FORMAT,
} from "../generator/emit/docs/asyncapi-bundle.js";
import { bundleProto } from "../generator/emit/docs/proto-bundle.js";
import { stripCustomOptions } from "../generator/emit/docs/proto-options.js";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto, type LoadedProto } from "../generator/load/proto.js";
import type { Model } from "../generator/model/types.js";
import { defaultOptions } from "../generator/options.js";
import { generate } from "../generator/pipeline.js";

const REPO = resolve(import.meta.dirname, "..");

describe("docs emitter: self-contained proto text", () => {
  it("strips custom options (also multi-line, with braces inside strings) and keeps the rest", () => {
    const src = [
      "message M {",
      "  option (v2c.options.v1.message) = { schema_version: 1 };",
      "",
      "  // id; see [docs] (not an option)",
      "  string id = 1 [(v2c.options.v1.field) = {",
      "    required: true,",
      '    pattern: "^[0-9a-f]{8}]$"',
      "  }];",
      "  float f = 2 [deprecated = true, (v2c.options.v1.field) = { min: 0, max: 1 }];",
      '  string s = 3; // "[(x)]" in a comment stays',
      "}",
      "",
    ].join("\n");
    expect(stripCustomOptions(src)).toBe(
      [
        "message M {",
        "  // id; see [docs] (not an option)",
        "  string id = 1;",
        "  float f = 2 [deprecated = true];",
        '  string s = 3; // "[(x)]" in a comment stays',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("drops option-file imports, appends imported payload files once and tags the root message", () => {
    const sources = new Map([
      [
        "proto/o/options.proto",
        'syntax = "proto3";\npackage o;\nextend google.protobuf.FieldOptions { int32 f = 50000; }\n',
      ],
      [
        "proto/p/a.proto",
        'syntax = "proto3";\npackage p;\nimport "o/options.proto";\nimport "p/b.proto";\n\n// The payload.\nmessage A {\n  B b = 1 [(o.f) = 3];\n}\n',
      ],
      [
        "proto/p/b.proto",
        'syntax = "proto3";\npackage p;\nimport "google/protobuf/timestamp.proto";\nimport "p/c.proto";\n\nmessage B {\n  C c = 1;\n  google.protobuf.Timestamp at = 2;\n}\n',
      ],
      ["proto/p/c.proto", 'syntax = "proto3";\npackage p;\n\nmessage C {\n  int32 n = 1;\n}\n'],
    ]);
    expect(bundleProto("proto/p/a.proto", sources, "A")).toBe(
      [
        'syntax = "proto3";',
        "package p;",
        'import "google/protobuf/timestamp.proto";',
        "",
        "// The payload.",
        "// @RootNode",
        "message A {",
        "  B b = 1;",
        "}",
        "",
        "// ---- p/b.proto ----",
        'import "google/protobuf/timestamp.proto";',
        "",
        "message B {",
        "  C c = 1;",
        "  google.protobuf.Timestamp at = 2;",
        "}",
        "",
        "",
        "// ---- p/c.proto ----",
        "message C {",
        "  int32 n = 1;",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("refuses to merge a payload file of another package", () => {
    const sources = new Map([
      [
        "proto/p/a.proto",
        'syntax = "proto3";\npackage p;\nimport "q/b.proto";\nmessage A { q.B b = 1; }\n',
      ],
      ["proto/q/b.proto", 'syntax = "proto3";\npackage q;\nmessage B {}\n'],
    ]);
    expect(() => bundleProto("proto/p/a.proto", sources, "A")).toThrow(/package q differs from p/);
  });
});

/** Proto field names the parser's JSON Schema must show: a real oneof appears under its own name. */
function expectFields(
  schema: Record<string, unknown>,
  message: DescMessage,
  path: string,
  depth = 0,
): number {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  let checked = 0;
  for (const field of message.fields as DescField[]) {
    const where = `${path}.${field.name}`;
    if (field.oneof) {
      const variants = (props[field.oneof.name]?.oneOf ?? []) as Record<string, unknown>[];
      expect(
        variants.map((v) => v["x-oneof-item"]),
        where,
      ).toContain(field.name);
      checked++;
      continue;
    }
    expect(Object.keys(props), where).toContain(field.name);
    checked++;
    if (depth >= 3) continue;
    if (field.fieldKind === "message") {
      checked += expectFields(props[field.name]!, field.message, where, depth + 1);
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      checked += expectFields(
        props[field.name]!.items as Record<string, unknown>,
        field.message,
        where,
        depth + 1,
      );
    }
  }
  return checked;
}

describe("docs emitter: the bundled AsyncAPI document", () => {
  let text: string;
  let model: Model;
  let proto: LoadedProto;

  beforeAll(async () => {
    const r = await generate(defaultOptions(REPO));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    model = r.model!;
    text = r.files.find((f) => f.path === BUNDLED_ASYNCAPI_PATH)!.content;
    proto = (await loadProto(REPO, new DiagnosticBag()))!;
  });

  it("carries the generated header and no import or custom option in any inlined schema", () => {
    expect(text.split("\n")[0]).toMatch(
      /^# Code generated by v2c-gen from asyncapi\.yaml, proto\/.*\. DO NOT EDIT\.$/,
    );
    expect(text).not.toMatch(/import "v2c\//);
    expect(text).not.toContain("(v2c.options.v1.");
  });

  it("parses with @asyncapi/parser + the protobuf schema parser and shows every message's fields", async () => {
    process.env.SCARF_ANALYTICS = "false";
    const { Parser } = await import("@asyncapi/parser");
    const { ProtoBuffSchemaParser } = await import("@asyncapi/protobuf-schema-parser");
    const parser = new Parser({ schemaParsers: [ProtoBuffSchemaParser()] });
    const { document, diagnostics } = await parser.parse(text);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => d.message)).toEqual([]);
    expect(document).toBeDefined();
    const parsed = new Map(
      document!
        .messages()
        .all()
        .map((m) => [m.id(), m]),
    );
    expect(model.messages.length).toBe(3);
    let checked = 0;
    for (const message of model.messages) {
      const m = parsed.get(message.id);
      expect(m, message.id).toBeDefined();
      const payload = m!.payload()!.json() as Record<string, unknown>;
      expect(payload.schemaFormat).toBe(PROTOBUF_SCHEMA_FORMAT);
      const schema = payload.schema as Record<string, unknown>;
      expect(schema.title).toBe(message.protoName.split(".").pop());
      checked += expectFields(schema, proto.registry.getMessage(message.protoName)!, message.id);
    }
    // VehicleTelemetry alone has 12 fields and 5 nested messages; a lost nesting level would show here.
    expect(checked).toBeGreaterThan(40);
  });
});
