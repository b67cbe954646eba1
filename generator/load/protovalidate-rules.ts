import {
  getOption,
  hasOption,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescOneof,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  field as fieldRulesExt,
  message as messageRulesExt,
  oneof as oneofRulesExt,
  FieldRulesSchema,
  MessageRulesSchema,
  type FieldRules,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { DiagnosticBag } from "../diagnostics.js";
import type { ConstraintKind, FieldConstraintModel } from "../model/types.js";
import type { LoadedProto } from "./proto.js";
import {
  LEGACY_OPTION,
  legacyAdvice,
  legacyConstraints,
  legacyEntry,
} from "./protovalidate-legacy.js";
import { SCALAR_TYPE_NAMES } from "./proto-scalar-types.js";

/** Fully-qualified name of the field-level unit option (see proto/v2c/options/v1/unit.proto). */
const UNIT_OPTION = "v2c.options.v1.unit";

const RULE_TYPE_BY_SCALAR = SCALAR_TYPE_NAMES;
const NUMERIC = new Set(
  Object.values(RULE_TYPE_BY_SCALAR).filter((t) => !["bool", "string", "bytes"].includes(t)),
);

/** The rules the generator compiles, by family; anything else is reported as unsupported. */
const SUPPORTED: Record<string, ReadonlySet<string>> = {
  numeric: new Set(["const", "lt", "lte", "gt", "gte", "in", "not_in", "finite", "example"]),
  string: new Set([
    "const",
    "len",
    "min_len",
    "max_len",
    "len_bytes",
    "min_bytes",
    "max_bytes",
    "pattern",
    "prefix",
    "suffix",
    "contains",
    "not_contains",
    "in",
    "not_in",
    "uuid",
    "tuuid",
    "example",
  ]),
  bytes: new Set(["len", "min_len", "max_len", "example"]),
  bool: new Set(["const", "example"]),
  enum: new Set(["const", "defined_only", "in", "not_in", "example"]),
  repeated: new Set(["min_items", "max_items", "unique", "items"]),
};
const IGNORE_IF_ZERO_VALUE = 1;
const IGNORE_ALWAYS = 3;

/** Where a walk is: ts-proto property path, proto path, oneof unions on the way. */
interface At {
  readonly path: string;
  readonly protoPath: string;
  readonly oneofs: readonly { at: number; case: string }[];
}

/**
 * Collects the protovalidate rules of `msg` and of the sub-messages it contains (as
 * protovalidate validates them: a set sub-message, a oneof member when it is the set case),
 * as flat entries the runtime compiles into checkers. A rule the generator does not compile
 * (CEL, well-known string formats other than uuid/tuuid, map rules, rules inside repeated messages, ...) is an error
 * located at the field, naming the rule.
 */
export function collectFieldRules(
  proto: LoadedProto,
  msg: DescMessage,
  bag: DiagnosticBag,
): FieldConstraintModel[] {
  return walk(proto, msg, bag, { path: "", protoPath: "", oneofs: [] }, new Set());
}

function walk(
  proto: LoadedProto,
  msg: DescMessage,
  bag: DiagnosticBag,
  at: At,
  seen: ReadonlySet<string>,
): FieldConstraintModel[] {
  const out: FieldConstraintModel[] = [];
  if (seen.has(msg.typeName)) {
    if (hasAnyRules(proto, msg, new Set())) {
      const where = proto.locate(msg);
      bag.error(
        where.file,
        where.pos,
        "proto/unsupported-rule",
        `message ${msg.typeName} is recursive and has protovalidate rules; the generator does not compile rules of recursive messages`,
      );
    }
    return out;
  }
  const inner = new Set([...seen, msg.typeName]);
  messageLevelRules(proto, msg, bag);
  for (const oneof of msg.oneofs) {
    if (!hasOption(oneof as never, oneofRulesExt as never)) continue;
    const rules = getOption(oneof as never, oneofRulesExt as never) as { required: boolean };
    if (!rules.required) continue;
    out.push({
      path: join(at.path, oneof.localName),
      protoPath: join(at.protoPath, oneof.name),
      kind: "oneof",
      repeated: false,
      required: true,
      ...(at.oneofs.length > 0 ? { oneofs: at.oneofs } : {}),
    });
  }
  for (const field of msg.fields) {
    const here = fieldAt(at, field);
    const entry = fieldEntry(proto, field, bag, here);
    if (entry) out.push(entry);
    if (field.fieldKind === "message") {
      out.push(...walk(proto, field.message, bag, here, inner));
    } else if (
      (field.fieldKind === "list" && field.listKind === "message") ||
      (field.fieldKind === "map" && field.mapKind === "message")
    ) {
      if (hasAnyRules(proto, field.message, new Set())) {
        const where = proto.locate(field);
        bag.error(
          where.file,
          where.pos,
          "proto/unsupported-rule",
          `field ${here.protoPath}: rules inside the elements of a ${field.fieldKind} of messages (${field.message.typeName}) are not compiled by the generator`,
        );
      }
    }
  }
  return out;
}

function fieldAt(at: At, field: DescField): At {
  if (!field.oneof) {
    return {
      path: join(at.path, field.localName),
      protoPath: join(at.protoPath, field.name),
      oneofs: at.oneofs,
    };
  }
  const base = join(at.path, field.oneof.localName);
  return {
    path: `${base}.value`,
    protoPath: join(at.protoPath, field.name),
    oneofs: [...at.oneofs, { at: base.split(".").length - 1, case: field.localName }],
  };
}

function fieldEntry(
  proto: LoadedProto,
  field: DescField,
  bag: DiagnosticBag,
  at: At,
): FieldConstraintModel | undefined {
  const unit = fieldUnit(proto, field);
  const rules = hasOption(field as never, fieldRulesExt as never)
    ? (getOption(field as never, fieldRulesExt as never) as FieldRules)
    : undefined;
  const legacy = legacyConstraints(proto, field);
  if (!rules && !unit && !legacy) return undefined;
  const where = proto.locate(field);
  const fail = (msg: string, code = "proto/unsupported-rule") =>
    bag.error(where.file, where.pos, code, `field ${at.protoPath}: ${msg}`);
  const entry: Record<string, unknown> = {
    path: at.path,
    protoPath: at.protoPath,
    kind: kindOf(field),
    repeated: field.fieldKind === "list",
    required: false,
    ...(at.oneofs.length > 0 ? { oneofs: at.oneofs } : {}),
    ...(unit ? { unit } : {}),
  };
  if (legacy) {
    bag.warning(
      where.file,
      where.pos,
      "proto/deprecated-constraints",
      `field ${at.protoPath}: (${LEGACY_OPTION}) is deprecated; write ${legacyAdvice(legacy, expectedFamily(field) ?? "message", field.fieldKind === "list")}`,
    );
    if (!rules)
      return {
        ...entry,
        ...legacyEntry(legacy, expectedFamily(field)),
      } as unknown as FieldConstraintModel;
  }
  if (!rules) return entry as unknown as FieldConstraintModel;
  const top = setFields(reflect(FieldRulesSchema, rules));
  for (const [name, value] of top) {
    if (name === "required") entry.required = value === true;
    else if (name === "ignore") {
      if (value === IGNORE_ALWAYS) return undefined;
      if (value === IGNORE_IF_ZERO_VALUE) entry.ignoreZero = true;
    } else if (name === "cel" || name === "cel_expression")
      fail(
        `CEL rules ((buf.validate.field).${name}) are not compiled by the generator; express the rule with standard rules`,
      );
    else if (name === "$unknown")
      fail("predefined (extension) rules are not compiled by the generator");
    else typeRules(field, name, value as ReflectMessage, entry, fail, false);
  }
  return entry as unknown as FieldConstraintModel;
}

/** Applies one `(buf.validate.field).<type>` rule set to the entry, or reports why not. */
function typeRules(
  field: DescField,
  family: string,
  value: ReflectMessage,
  entry: Record<string, unknown>,
  fail: (msg: string, code?: string) => void,
  item: boolean,
): void {
  const repeated = field.fieldKind === "list";
  if (family === "repeated" && !item) {
    if (!repeated) return fail("repeated rules on a field that is not repeated");
    for (const [name, v] of setFields(value)) {
      if (!SUPPORTED.repeated!.has(name))
        fail(`rule repeated.${name} is not compiled by the generator`);
      else if (name === "min_items") entry.minItems = Number(v);
      else if (name === "max_items") entry.maxItems = Number(v);
      else if (name === "unique") entry.unique = v === true;
      else if (name === "items") {
        for (const [n, iv] of setFields(v as ReflectMessage)) {
          if (n === "cel" || n === "cel_expression")
            fail("CEL rules on items are not compiled by the generator");
          else if (n === "required" || n === "ignore" || n === "$unknown")
            fail(`items.${n} is not compiled by the generator`);
          else typeRules(field, n, iv as ReflectMessage, entry, fail, true);
        }
      }
    }
    return;
  }
  if (repeated && !item)
    return fail(`${family} rules on a repeated field must be inside repeated.items`);
  const expected = expectedFamily(field);
  if (family !== expected)
    return fail(
      `${family} rules do not apply to a field of type ${expected ?? "message"} (protovalidate rejects the mismatch)`,
    );
  const supported = NUMERIC.has(family) ? SUPPORTED.numeric! : SUPPORTED[family];
  entry.ruleType = family;
  const numeric = NUMERIC.has(family);
  for (const [name, v] of setFields(value)) {
    if (!supported?.has(name)) {
      fail(`rule ${family}.${name} is not compiled by the generator`);
      continue;
    }
    const num = (x: unknown) => (typeof x === "bigint" ? Number(x) : (x as number));
    switch (name) {
      case "example":
        break;
      case "gte":
      case "gt":
        entry.min = num(v);
        if (name === "gt") entry.exclusiveMin = true;
        break;
      case "lte":
      case "lt":
        entry.max = num(v);
        if (name === "lt") entry.exclusiveMax = true;
        break;
      case "const":
        entry.const = numeric || family === "enum" ? num(v) : (v as string | boolean);
        break;
      case "in":
      case "not_in":
        entry[name === "in" ? "in" : "notIn"] = (v as unknown[]).map((x) =>
          typeof x === "bigint" ? Number(x) : x,
        );
        break;
      case "finite":
        entry.finite = v === true;
        break;
      case "uuid":
      case "tuuid":
        // `uuid: false` is a no-op rule in protovalidate.
        if (v === true) entry.wellKnown = name;
        break;
      case "defined_only":
        if (v === true && field.enum) entry.definedOnly = field.enum.values.map((e) => e.number);
        break;
      case "pattern":
        try {
          new RegExp(v as string, "u");
          entry.pattern = v;
        } catch (e) {
          fail(`pattern is not a valid regular expression: ${(e as Error).message}`);
        }
        break;
      default: {
        const key = {
          len: "len",
          min_len: "minLength",
          max_len: "maxLength",
          len_bytes: "lenBytes",
          min_bytes: "minBytes",
          max_bytes: "maxBytes",
          prefix: "prefix",
          suffix: "suffix",
          contains: "contains",
          not_contains: "notContains",
        }[name];
        if (key) entry[key] = typeof v === "bigint" ? Number(v) : v;
      }
    }
  }
  const { min, max } = entry as { min?: number; max?: number };
  if (min !== undefined && max !== undefined && min > max)
    fail(
      `lower bound ${min} is above upper bound ${max}: protovalidate reads that as an exclusive range (outside [${max}, ${min}]), which the generator does not compile`,
      "proto/bad-range",
    );
}

/** The rule family that protovalidate requires for a field (or its list items). */
export function expectedFamily(field: DescField): string | undefined {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum"))
    return "enum";
  if (field.fieldKind === "scalar") return RULE_TYPE_BY_SCALAR[field.scalar];
  if (field.fieldKind === "list" && field.listKind === "scalar")
    return RULE_TYPE_BY_SCALAR[field.scalar];
  return undefined;
}

/** `(buf.validate.message)` rules: none is compiled (CEL, oneof groups); each is reported. */
function messageLevelRules(proto: LoadedProto, msg: DescMessage, bag: DiagnosticBag): void {
  if (!hasOption(msg as never, messageRulesExt as never)) return;
  const rules = getOption(msg as never, messageRulesExt as never);
  const names = [...setFields(reflect(MessageRulesSchema, rules as never)).keys()];
  if (names.length === 0) return;
  const where = proto.locate(msg);
  bag.error(
    where.file,
    where.pos,
    "proto/unsupported-rule",
    `message ${msg.typeName}: (buf.validate.message) ${names.join(", ")} rules are not compiled by the generator (use field rules, or (buf.validate.oneof).required)`,
  );
}

/** True when a message (or one it contains) carries any protovalidate rule. */
function hasAnyRules(proto: LoadedProto, msg: DescMessage, seen: Set<string>): boolean {
  if (seen.has(msg.typeName)) return false;
  seen.add(msg.typeName);
  if (hasOption(msg as never, messageRulesExt as never)) return true;
  if (msg.oneofs.some((o: DescOneof) => hasOption(o as never, oneofRulesExt as never))) return true;
  return msg.fields.some(
    (f) =>
      hasOption(f as never, fieldRulesExt as never) ||
      ((f.fieldKind === "message" ||
        (f.fieldKind === "list" && f.listKind === "message") ||
        (f.fieldKind === "map" && f.mapKind === "message")) &&
        hasAnyRules(proto, f.message, seen)),
  );
}

/** The set fields of a rules message by proto name (plus `$unknown` for extension rules). */
function setFields(r: ReflectMessage): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const f of r.fields) {
    if (!r.isSet(f)) continue;
    const v = r.get(f);
    if (f.fieldKind === "list") out.set(f.name, [...(v as Iterable<unknown>)]);
    else out.set(f.name, v);
  }
  if ((r.message as { $unknown?: unknown[] }).$unknown?.length) out.set("$unknown", true);
  return out;
}

function fieldUnit(proto: LoadedProto, field: DescField): string | undefined {
  const ext = proto.registry.getExtension(UNIT_OPTION) as DescExtension | undefined;
  if (!ext || !hasOption(field as never, ext as never)) return undefined;
  const unit = getOption(field as never, ext as never) as string;
  return unit || undefined;
}

function kindOf(field: DescField): ConstraintKind {
  const scalar =
    field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")
      ? field.scalar
      : undefined;
  if (scalar === undefined) {
    if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum"))
      return "enum";
    return "message";
  }
  const family = RULE_TYPE_BY_SCALAR[scalar];
  if (family === "string" || family === "bytes" || family === "bool") return family;
  if (["int64", "uint64", "fixed64", "sfixed64", "sint64"].includes(family!))
    return "bigint-number";
  return "number";
}

function join(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}
