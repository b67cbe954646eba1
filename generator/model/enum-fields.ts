import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { EnumFieldModel } from "./types.js";

/**
 * The enum fields of a payload message and of every message type it contains, by type name:
 * each field that holds enum values (with the numbers its enum defines) or leads to some (a
 * sub-message, a list or map of them, a oneof member). The handlers check a decoded record
 * against it for numbers outside their enums. Types without such a field are left out; a
 * recursive type refers to itself by name. Well-known types (`google.protobuf.*`) are left out:
 * ts-proto maps them to plain values (`Value`'s `NullValue` is `null`, not a number).
 */
export function collectEnumFields(root: DescMessage): Record<string, EnumFieldModel[]> {
  // Every message type reachable from the root (breadth first, the root first).
  const types: DescMessage[] = [];
  const seen = new Set<string>();
  const add = (m: DescMessage | undefined) => {
    if (!m || seen.has(m.typeName) || m.typeName.startsWith("google.protobuf.")) return;
    seen.add(m.typeName);
    types.push(m);
  };
  add(root);
  for (let i = 0; i < types.length; i++) for (const f of types[i]!.fields) add(f.message);
  // The types that hold an enum value somewhere inside (a fixed point: cycles included).
  const holds = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const m of types) {
      if (holds.has(m.typeName)) continue;
      if (
        m.fields.some((f) => f.enum !== undefined || (f.message && holds.has(f.message.typeName)))
      ) {
        holds.add(m.typeName);
        changed = true;
      }
    }
  }
  const table: Record<string, EnumFieldModel[]> = {};
  for (const m of types)
    if (holds.has(m.typeName)) table[m.typeName] = m.fields.flatMap((f) => entry(f, holds));
  return table;
}

/** The table entry of one field, or none when it holds no enum values. */
function entry(f: DescField, holds: ReadonlySet<string>): EnumFieldModel[] {
  const visit = (m: DescMessage) => holds.has(m.typeName);
  const where = {
    key: f.oneof ? f.oneof.localName : f.localName,
    ...(f.jsonName !== (f.oneof ? f.oneof.localName : f.localName) ? { name: f.jsonName } : {}),
    ...(f.oneof ? { case: f.localName } : {}),
  };
  const values = (e: { values: readonly { number: number }[] }) => e.values.map((v) => v.number);
  switch (f.fieldKind) {
    case "enum":
      return [{ ...where, values: values(f.enum) }];
    case "message":
      return visit(f.message) ? [{ ...where, type: f.message.typeName }] : [];
    case "list":
      if (f.listKind === "enum") return [{ ...where, each: "list", values: values(f.enum) }];
      if (f.listKind === "message" && visit(f.message))
        return [{ ...where, each: "list", type: f.message.typeName }];
      return [];
    case "map":
      if (f.mapKind === "enum") return [{ ...where, each: "map", values: values(f.enum) }];
      if (f.mapKind === "message" && visit(f.message))
        return [{ ...where, each: "map", type: f.message.typeName }];
      return [];
    default:
      return [];
  }
}
