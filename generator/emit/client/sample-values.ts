import { createRequire } from "node:module";
import type { EnumFieldModel, FieldConstraintModel, MessageModel } from "../../model/types.js";

/** A value a sample snapshot holds: what `fromPartial` takes for a scalar field. */
export type SampleScalar = number | string | boolean;

/** The numbers an enum field's type defines, found through the message's enum-field table. */
export function enumValuesAt(message: MessageModel, path: string): readonly number[] | undefined {
  const table = message.enumFields;
  if (!table) return undefined;
  let type: string | undefined = message.protoName;
  const keys = path.split(".");
  for (let i = 0; i < keys.length && type; i++) {
    const field: EnumFieldModel | undefined = table[type]?.find(
      (f) => f.key === keys[i] && !f.case && !f.each,
    );
    if (!field) return undefined;
    if (i === keys.length - 1) return field.values;
    type = field.type;
  }
  return undefined;
}

/** The first item of `in`, or the const, when the rules pin the value. */
function pinned(c: FieldConstraintModel): SampleScalar | undefined {
  if (c.const !== undefined) return c.const;
  return c.in?.[0];
}

/** Whether `s` satisfies every string rule of `c` (length in characters, affixes, pattern). */
function fitsString(c: FieldConstraintModel, s: string): boolean {
  const n = [...s].length;
  if (c.len !== undefined && n !== c.len) return false;
  if (c.minLength !== undefined && n < c.minLength) return false;
  if (c.maxLength !== undefined && n > c.maxLength) return false;
  if (c.prefix !== undefined && !s.startsWith(c.prefix)) return false;
  if (c.suffix !== undefined && !s.endsWith(c.suffix)) return false;
  if (c.contains !== undefined && !s.includes(c.contains)) return false;
  if (c.notContains !== undefined && s.includes(c.notContains)) return false;
  if (c.notIn?.includes(s)) return false;
  if (c.required && s === "") return false;
  if (c.pattern !== undefined && !new RegExp(c.pattern, "u").test(s)) return false;
  return true;
}

// fast-check (already the tests' property-testing library) draws strings matching a pattern;
// loaded only when a sample needs one, so a spec without patterns never pays for it.
type FastCheck = typeof import("fast-check");
let fastCheck: FastCheck | undefined;
function fc(): FastCheck {
  fastCheck ??= createRequire(import.meta.url)("fast-check") as FastCheck;
  return fastCheck;
}

/** Strings drawn (with a fixed seed: the same output every run) from `pattern`, shortest first. */
function drawnFrom(pattern: string): string[] {
  let re: RegExp;
  try {
    re = new RegExp(pattern, "u");
  } catch {
    return [];
  }
  const f = fc();
  return f
    .sample(f.stringMatching(re), { seed: 42, numRuns: 40 })
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

/** A string that satisfies `c`'s rules; undefined when none was found. */
function sampleString(c: FieldConstraintModel): string | undefined {
  if (c.wellKnown === "uuid") return "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
  if (c.wellKnown === "tuuid") return "6f1c2a9e3b4d4e5f8a7b9c0d1e2f3a4b";
  const size = c.len ?? Math.max(c.minLength ?? 0, 1);
  const filler = "a".repeat(Math.max(0, size - (c.prefix ?? "").length - (c.suffix ?? "").length));
  const candidates = [
    `${c.prefix ?? ""}${c.contains ?? ""}${filler}${c.suffix ?? ""}`,
    ...(c.pattern !== undefined ? drawnFrom(c.pattern) : []),
  ];
  return candidates.find((s) => fitsString(c, s));
}

/**
 * A value for a field whose rules a sample must satisfy beyond a numeric range (those are
 * `sample.ts`'s): a pinned value (`const`, `in`), a string that fits its length, affixes and
 * pattern, a defined enum value, `true` for a required bool, 1 for a required bare number.
 * Undefined when the field needs nothing (proto3's zero value passes) or no value was found.
 */
export function sampleScalar(
  message: MessageModel,
  c: FieldConstraintModel,
): SampleScalar | undefined {
  const fixed = pinned(c);
  if (fixed !== undefined) return fixed;
  switch (c.kind) {
    case "string":
      return c.required ||
        c.pattern !== undefined ||
        (c.minLength ?? 0) > 0 ||
        (c.len ?? 0) > 0 ||
        c.prefix !== undefined ||
        c.suffix !== undefined ||
        c.contains !== undefined ||
        c.wellKnown !== undefined
        ? sampleString(c)
        : undefined;
    case "enum": {
      if (!c.required && !c.notIn?.includes(0)) return undefined;
      const values = c.definedOnly ?? enumValuesAt(message, c.path) ?? [];
      return values.find((v) => v !== 0 && !c.notIn?.includes(v));
    }
    case "bool":
      return c.required ? true : undefined;
    case "number":
    case "bigint-number":
      return c.required && c.min === undefined && c.max === undefined ? 1 : undefined;
    default:
      return undefined;
  }
}
