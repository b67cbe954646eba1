import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import {
  emitBundledAsyncApi,
  PROTOBUF_SCHEMA_FORMAT,
} from "../generator/emit/docs/asyncapi-bundle.js";
import type { EmitContext } from "../generator/emit/types.js";
import { StepCache } from "../generator/cache.js";
import { readAsyncApi } from "../generator/load/asyncapi.js";
import { loadFmea } from "../generator/load/fmea.js";
import { isLibraryProto } from "../generator/load/protovalidate.js";
import { buildModel } from "../generator/model/build.js";
import { bundleProto } from "../generator/emit/docs/proto-bundle.js";
import { stripCustomOptions } from "../generator/emit/docs/proto-options.js";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto, type LoadedProto } from "../generator/load/proto.js";
import type { Model } from "../generator/model/types.js";

const REPO = resolve(import.meta.dirname, "..");

describe("docs emitter: self-contained proto text", () => {
  it("strips custom options (also multi-line, with braces inside strings), keeps protovalidate's and the rest", () => {
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
      '  float g = 4 [(buf.validate.field).float = { gte: 0 }, (v2c.options.v1.unit) = "m"];',
      "  oneof o {",
      "    option (buf.validate.oneof).required = true;",
      "    int32 h = 5;",
      "  }",
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
        "  float g = 4 [(buf.validate.field).float = { gte: 0 }];",
        "  oneof o {",
        "    option (buf.validate.oneof).required = true;",
        "    int32 h = 5;",
        "  }",
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
    // The docs emitter alone, on the real sources (load -> model -> bundle): the other
    // emitters are not needed to check the bundled contract.
    const bag = new DiagnosticBag();
    const asyncapi = readAsyncApi(REPO, bag)!;
    proto = (await loadProto(REPO, bag))!;
    const fmea = await loadFmea(REPO, bag, new StepCache(undefined));
    model = buildModel(asyncapi, proto, fmea, bag)!;
    expect(bag.sorted().filter((d) => d.severity === "error")).toEqual([]);
    const sources = new Map(
      proto.set.file
        .filter((f) => !isLibraryProto(f.name))
        .map(
          (f) => [`proto/${f.name}`, readFileSync(join(REPO, "proto", f.name), "utf8")] as const,
        ),
    );
    text = emitBundledAsyncApi(
      {
        model,
        protoTs: new Map(),
        protoSources: sources,
        asyncApiText: asyncapi.text,
      } satisfies EmitContext,
      join(REPO, "templates"),
    ).content;
  }, 60_000);

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
    expect(model.messages.length).toBeGreaterThanOrEqual(3);
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

  it("carries every compiled range, pattern, length and item bound as JSON Schema", async () => {
    process.env.SCARF_ANALYTICS = "false";
    const { Parser } = await import("@asyncapi/parser");
    const { ProtoBuffSchemaParser } = await import("@asyncapi/protobuf-schema-parser");
    const parser = new Parser({ schemaParsers: [ProtoBuffSchemaParser()] });
    const { document } = await parser.parse(text);
    let checked = 0;
    for (const message of model.messages) {
      const payload = document!
        .messages()
        .all()
        .find((m) => m.id() === message.id)!
        .payload()!;
      const root = (payload.json() as { schema: JsonSchema }).schema;
      const desc = proto.registry.getMessage(message.protoName)!;
      for (const c of message.constraints) {
        if (c.kind === "oneof") continue;
        const at = schemaAt(root, desc, c.protoPath);
        const s = c.repeated ? (at.items as JsonSchema) : at;
        const where = `${message.id} ${c.protoPath}`;
        if (c.min !== undefined)
          expect(s[c.exclusiveMin ? "exclusiveMinimum" : "minimum"], where).toBe(c.min);
        if (c.max !== undefined)
          expect(s[c.exclusiveMax ? "exclusiveMaximum" : "maximum"], where).toBe(c.max);
        if (c.pattern !== undefined) expect(s.pattern, where).toBe(c.pattern);
        if (c.maxLength !== undefined) expect(s.maxLength, where).toBe(c.maxLength);
        if (c.minItems !== undefined) expect(at.minItems, where).toBe(c.minItems);
        if (c.maxItems !== undefined) expect(at.maxItems, where).toBe(c.maxItems);
        checked += [c.min, c.max, c.pattern, c.maxLength, c.minItems, c.maxItems].filter(
          (x) => x !== undefined,
        ).length;
      }
    }
    // The seed constrains dozens of fields (ranges on every sensor, ids, timestamps, items).
    expect(checked).toBeGreaterThan(50);
  });
});

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of the field at a proto path (`a.b`), through nested messages and oneofs. */
function schemaAt(root: JsonSchema, message: DescMessage, protoPath: string): JsonSchema {
  let schema = root;
  let desc: DescMessage | undefined = message;
  for (const name of protoPath.split(".")) {
    const field: DescField = desc!.fields.find((f) => f.name === name)!;
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (field.oneof) {
      const variants = (props[field.oneof.name]!.oneOf ?? []) as JsonSchema[];
      const v = variants.find((x) => x["x-oneof-item"] === name)!;
      schema = ((v.properties as Record<string, JsonSchema> | undefined)?.[name] ??
        v) as JsonSchema;
    } else schema = props[name]!;
    desc = field.fieldKind === "message" ? field.message : undefined;
  }
  return schema;
}
