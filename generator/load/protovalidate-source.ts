import { isFieldSet } from "@bufbuild/protobuf";
import {
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { SCALAR_TYPE_NAMES } from "./proto-scalar-types.js";

/**
 * Prints a FileDescriptorProto back as `.proto` text that compiles to the same messages, enums,
 * fields (names, numbers, types, labels), oneofs, extension ranges, reserved ranges and
 * extensions. Field and message *options* are not printed (they only carry the rule library's
 * own CEL metadata, which the protovalidate runtime reads from its embedded descriptor, not
 * from ours). Used to materialise `buf/validate/validate.proto` from the descriptor that the
 * `@bufbuild/protovalidate` npm package embeds, so that buf resolves the import offline.
 */
export function printProtoFile(file: FileDescriptorProto): string {
  const syntax = file.syntax === "" ? "proto2" : file.syntax;
  if (syntax !== "proto2" && syntax !== "proto3")
    throw new Error(`${file.name}: cannot print syntax "${file.syntax}"`);
  const out: string[] = [
    `// Materialised by v2c-gen from the file descriptor embedded in an npm package. DO NOT EDIT.`,
    `syntax = "${syntax}";`,
    "",
    `package ${file.package};`,
    "",
    ...file.dependency.map((d) => `import "${d}";`),
    "",
  ];
  const p = new Printer(syntax, out);
  for (const m of file.messageType) p.message(m, "");
  for (const e of file.enumType) p.enum(e, "");
  p.extensions(file.extension, "");
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}

const TYPE_NAMES = SCALAR_TYPE_NAMES;
const MAX_FIELD_NUMBER = 536870911;

class Printer {
  constructor(
    private readonly syntax: string,
    private readonly out: string[],
  ) {}

  message(m: DescriptorProto, indent: string): void {
    const o = this.out;
    o.push(`${indent}message ${m.name} {`);
    const inner = `${indent}  `;
    const maps = new Map(
      m.nestedType.filter((n) => n.options?.mapEntry).map((n) => [n.name, n] as const),
    );
    const printed = new Set<number>();
    m.field.forEach((f, i) => {
      if (printed.has(i)) return;
      const inOneof = has(f, "oneofIndex") && !f.proto3Optional;
      if (!inOneof) {
        o.push(`${inner}${this.field(f, maps, true)}`);
        return;
      }
      o.push(`${inner}oneof ${m.oneofDecl[f.oneofIndex!]!.name} {`);
      m.field.forEach((g, j) => {
        if (has(g, "oneofIndex") && g.oneofIndex === f.oneofIndex && !g.proto3Optional) {
          printed.add(j);
          o.push(`${inner}  ${this.field(g, maps, false)}`);
        }
      });
      o.push(`${inner}}`);
    });
    for (const n of m.nestedType) if (!n.options?.mapEntry) this.message(n, inner);
    for (const e of m.enumType) this.enum(e, inner);
    for (const r of m.extensionRange)
      o.push(`${inner}extensions ${r.start!} to ${range(r.end! - 1)};`);
    for (const r of m.reservedRange)
      o.push(`${inner}reserved ${r.start!} to ${range(r.end! - 1)};`);
    if (m.reservedName.length > 0)
      o.push(`${inner}reserved ${m.reservedName.map((n) => JSON.stringify(n)).join(", ")};`);
    this.extensions(m.extension, inner);
    o.push(`${indent}}`, "");
  }

  enum(e: EnumDescriptorProto, indent: string): void {
    const o = this.out;
    o.push(`${indent}enum ${e.name} {`);
    for (const v of e.value) o.push(`${indent}  ${v.name} = ${v.number};`);
    for (const r of e.reservedRange) o.push(`${indent}  reserved ${r.start!} to ${r.end!};`);
    if (e.reservedName.length > 0)
      o.push(`${indent}  reserved ${e.reservedName.map((n) => JSON.stringify(n)).join(", ")};`);
    o.push(`${indent}}`, "");
  }

  extensions(fields: readonly FieldDescriptorProto[], indent: string): void {
    const byExtendee = new Map<string, FieldDescriptorProto[]>();
    for (const f of fields)
      byExtendee.set(f.extendee!, [...(byExtendee.get(f.extendee!) ?? []), f]);
    for (const [extendee, list] of byExtendee) {
      this.out.push(`${indent}extend ${extendee} {`);
      for (const f of list) this.out.push(`${indent}  ${this.field(f, new Map(), true)}`);
      this.out.push(`${indent}}`, "");
    }
  }

  private field(
    f: FieldDescriptorProto,
    maps: ReadonlyMap<string, DescriptorProto>,
    withLabel: boolean,
  ): string {
    const typeName = f.typeName ?? "";
    const entry = maps.get(typeName.slice(typeName.lastIndexOf(".") + 1));
    let type: string;
    let label = "";
    if (entry && f.label === 3) {
      const [k, v] = entry.field;
      type = `map<${this.typeOf(k!)}, ${this.typeOf(v!)}>`;
    } else {
      type = this.typeOf(f);
      if (withLabel) {
        if (f.label === 3) label = "repeated ";
        else if (f.label === 2) label = "required ";
        else if (this.syntax === "proto2" || f.proto3Optional) label = "optional ";
      }
    }
    const opts: string[] = [];
    if (has(f, "defaultValue"))
      opts.push(
        `default = ${f.type === 9 || f.type === 12 ? JSON.stringify(f.defaultValue) : f.defaultValue}`,
      );
    if (f.options && isFieldSet(f.options, FieldOptionsSchema.field.packed))
      opts.push(`packed = ${f.options.packed}`);
    if (f.options?.deprecated) opts.push("deprecated = true");
    const suffix = opts.length > 0 ? ` [${opts.join(", ")}]` : "";
    return `${label}${type} ${f.name} = ${f.number}${suffix};`;
  }

  private typeOf(f: FieldDescriptorProto): string {
    if (f.type === 11 || f.type === 14) return f.typeName!;
    const name = TYPE_NAMES[f.type!];
    if (!name) throw new Error(`field ${f.name}: cannot print type ${f.type}`);
    return name;
  }
}

function has(f: FieldDescriptorProto, name: "oneofIndex" | "defaultValue"): boolean {
  return isFieldSet(f, FieldDescriptorProtoSchema.field[name]);
}

function range(end: number): string {
  return end >= MAX_FIELD_NUMBER ? "max" : String(end);
}
