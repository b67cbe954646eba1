import { compileFastCheck, type FastCheck } from "./constraint-compiler.js";
import { codePoints, isDefault, isUnique, utf8Length, WELL_KNOWN } from "./constraint-values.js";

/**
 * One field's rules, generated from the protovalidate `(buf.validate.field)` annotations in
 * proto/ (only the rules the generator supports get here; any other rule is a generate-time
 * error). Semantics follow protovalidate: a proto3 scalar is checked even when it holds its
 * zero value unless `ignoreZero`; `required` replaces every other rule of an unset field; an
 * unset sub-message skips its fields' rules; a range fails on NaN.
 */
export interface FieldConstraint {
  /** Dotted path of ts-proto property names (a oneof member reads `<oneof>.value`). */
  readonly path: string;
  /** Dotted path of proto field names, as protovalidate reports it (`position.lat_deg`). */
  readonly protoPath: string;
  readonly kind:
    "number" | "bigint-number" | "string" | "bytes" | "bool" | "enum" | "message" | "oneof";
  readonly repeated: boolean;
  /** protovalidate rule family of the scalar rules (`float`, `uint64`, `string`, `enum`, ...). */
  readonly ruleType?: string;
  /** Oneof unions on the path: after the key at index `at`, the union must hold `case`. */
  readonly oneofs?: readonly { readonly at: number; readonly case: string }[];
  readonly required: boolean;
  /** protovalidate IGNORE_IF_ZERO_VALUE: rules are skipped while the field holds its zero value. */
  readonly ignoreZero?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** `gt` instead of `gte` / `lt` instead of `lte`. */
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly finite?: boolean;
  readonly const?: number | string | boolean;
  readonly in?: readonly (number | string)[];
  readonly notIn?: readonly (number | string)[];
  /** Enum values a `defined_only` enum field may hold. */
  readonly definedOnly?: readonly number[];
  readonly unit?: string;
  readonly pattern?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly notContains?: string;
  /** Exact / minimum / maximum length: characters (code points) for strings, bytes for bytes. */
  readonly len?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** UTF-8 byte length bounds of a string. */
  readonly lenBytes?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly unique?: boolean;
  /** protovalidate well-known string format: `uuid` (`string.uuid`) or `tuuid` (`string.tuuid`). */
  readonly wellKnown?: "uuid" | "tuuid";
}

/** The constraints of one message type. */
export interface MessageConstraints {
  readonly message: string;
  readonly schemaVersion: number;
  readonly minSupportedSchemaVersion: number;
  readonly fields: readonly FieldConstraint[];
}

/** One broken constraint. */
export interface ConstraintViolation {
  /** Proto path of the field, with the index of a list item: `readings[3]`. */
  readonly field: string;
  /** Short rule name: `required`, `min`, `max`, `pattern`, `max_len`, `min_items`, ... */
  readonly rule: string;
  /** protovalidate's rule id: `required`, `float.gte_lte`, `string.pattern`, `repeated.max_items`, ... */
  readonly ruleId: string;
  readonly message: string;
}

/** Marks a field whose parent sub-message is absent or whose oneof holds another case. */
const ABSENT = Symbol("absent");
type Getter = (message: Record<string, unknown>) => unknown;
type Step = (message: Record<string, unknown>, out: ConstraintViolation[]) => void;
type Obj = Record<string, unknown> | null | undefined;

/**
 * A validator compiled once from a constraint table, in two forms with one verdict:
 * - a straight-line function per message type (`compileFastCheck`) that only answers whether
 *   the message is valid: the hot path, a few property reads and comparisons per field;
 * - an interpreter, where each field is a closure specialised for its depth, kind and rules
 *   (patterns compiled, bounds captured), which lists every violation; it runs only when the
 *   fast check says no (or where code generation is unavailable).
 */
export class ConstraintChecker {
  private readonly steps: Step[];
  private readonly fast: FastCheck | undefined;

  /** `options.compile: false` keeps only the interpreter (tests compare the two). */
  constructor(
    readonly table: MessageConstraints,
    options: { readonly compile?: boolean } = {},
  ) {
    this.steps = table.fields.map(compileField);
    this.fast = options.compile === false ? undefined : compileFastCheck(table);
  }

  /** True when the message breaks no constraint (cheaper than `check` when it holds). */
  valid(message: object): boolean {
    return this.fast !== undefined ? this.fast(message) : this.interpret(message).length === 0;
  }

  /** Returns every violation (empty when the message is valid). */
  check(message: object): ConstraintViolation[] {
    if (this.fast !== undefined && this.fast(message)) return [];
    return this.interpret(message);
  }

  private interpret(message: object): ConstraintViolation[] {
    const out: ConstraintViolation[] = [];
    const m = message as Record<string, unknown>;
    for (let i = 0; i < this.steps.length; i++) this.steps[i]!(m, out);
    return out;
  }
}

function compileGetter(keys: readonly string[], oneofs: FieldConstraint["oneofs"]): Getter {
  const [k0, k1, k2] = keys;
  if (!oneofs || oneofs.length === 0) {
    if (keys.length === 1) return (m) => m[k0!];
    if (keys.length === 2)
      return (m) => {
        const p = m[k0!] as Obj;
        return p === undefined || p === null ? ABSENT : p[k1!];
      };
    if (keys.length === 3)
      return (m) => {
        const p = m[k0!] as Obj;
        if (p === undefined || p === null) return ABSENT;
        const q = p[k1!] as Obj;
        return q === undefined || q === null ? ABSENT : q[k2!];
      };
  }
  const cases = new Map((oneofs ?? []).map((o) => [o.at, o.case]));
  return (m) => {
    let value: unknown = m;
    for (let i = 0; i < keys.length; i++) {
      if (value === undefined || value === null) return ABSENT;
      value = (value as Record<string, unknown>)[keys[i]!];
      const expected = cases.get(i);
      if (expected !== undefined) {
        if ((value as Obj)?.["$case"] !== expected) return ABSENT;
      }
    }
    return value;
  };
}

function compileField(c: FieldConstraint): Step {
  const get = compileGetter(c.path.split("."), c.oneofs);
  const scalar = compileScalar(c);
  if (c.kind === "oneof" || c.kind === "message") {
    return (m, out) => {
      const value = get(m);
      if (value === ABSENT) return;
      if (c.required && (value === undefined || value === null))
        out.push(v(c.protoPath, "required", "required", "is required"));
    };
  }
  if (c.repeated) {
    return (m, out) => {
      const value = get(m);
      if (value === ABSENT) return;
      const list = (value as unknown[] | undefined) ?? [];
      if (list.length === 0 && (c.required || c.ignoreZero)) {
        if (c.required) out.push(v(c.protoPath, "required", "required", "must not be empty"));
        return;
      }
      if (c.minItems !== undefined && list.length < c.minItems)
        out.push(
          v(
            c.protoPath,
            "min_items",
            "repeated.min_items",
            `has ${list.length} items, fewer than ${c.minItems}`,
          ),
        );
      if (c.maxItems !== undefined && list.length > c.maxItems)
        out.push(
          v(
            c.protoPath,
            "max_items",
            "repeated.max_items",
            `has ${list.length} items, more than ${c.maxItems}`,
          ),
        );
      if (c.unique && !isUnique(list))
        out.push(v(c.protoPath, "unique", "repeated.unique", "has repeated items"));
      if (scalar)
        for (let i = 0; i < list.length; i++) scalar(list[i], `${c.protoPath}[${i}]`, out);
    };
  }
  return (m, out) => {
    const value = get(m);
    if (value === ABSENT) return;
    if ((c.required || c.ignoreZero) && isDefault(value)) {
      if (c.required) out.push(v(c.protoPath, "required", "required", "is required"));
      return;
    }
    scalar?.(value, c.protoPath, out);
  };
}

type ScalarCheck = (value: unknown, path: string, out: ConstraintViolation[]) => void;

/** The checks of one value (a field, or one item of a list); undefined when there are none. */
function compileScalar(c: FieldConstraint): ScalarCheck | undefined {
  const t = c.ruleType ?? c.kind;
  const checks: ScalarCheck[] = [];
  if (c.const !== undefined)
    checks.push((x, p, out) => {
      if (x !== c.const) out.push(v(p, "const", `${t}.const`, `must equal ${String(c.const)}`));
    });
  if (c.kind === "number" || c.kind === "bigint-number" || c.kind === "enum") {
    const range = compileRange(c, t);
    if (range) checks.push(range);
    if (c.finite)
      checks.push((x, p, out) => {
        if (!Number.isFinite(x as number))
          out.push(v(p, "finite", `${t}.finite`, "must be finite"));
      });
    if (c.definedOnly) {
      const defined = new Set(c.definedOnly);
      checks.push((x, p, out) => {
        if (!defined.has(x as number))
          out.push(
            v(p, "defined_only", "enum.defined_only", `${String(x)} is not a defined value`),
          );
      });
    }
  }
  if (c.kind === "string") checks.push(...stringChecks(c, t));
  if (c.kind === "bytes")
    checks.push(...lengthChecks(c, t, (x) => (x as Uint8Array).length, "bytes"));
  if (c.in) {
    const allowed = new Set<unknown>(c.in);
    checks.push((x, p, out) => {
      if (!allowed.has(x)) out.push(v(p, "in", `${t}.in`, `must be one of ${c.in!.join(", ")}`));
    });
  }
  if (c.notIn) {
    const denied = new Set<unknown>(c.notIn);
    checks.push((x, p, out) => {
      if (denied.has(x)) out.push(v(p, "not_in", `${t}.not_in`, `must not be ${String(x)}`));
    });
  }
  // protovalidate checks the well-known format last (StringRules field order).
  if (c.kind === "string" && c.wellKnown) checks.push(wellKnownCheck(c.wellKnown));
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (x, p, out) => {
    for (let i = 0; i < checks.length; i++) checks[i]!(x, p, out);
  };
}

/** gt/gte/lt/lte as one rule, as protovalidate does (`float.gte_lte`); NaN is out of range. */
function compileRange(c: FieldConstraint, t: string): ScalarCheck | undefined {
  const { min, max } = c;
  if (min === undefined && max === undefined) return undefined;
  const lower = min === undefined ? "" : c.exclusiveMin ? "gt" : "gte";
  const upper = max === undefined ? "" : c.exclusiveMax ? "lt" : "lte";
  const ruleId = `${t}.${[lower, upper].filter(Boolean).join("_")}`;
  const unit = c.unit ? ` ${c.unit}` : "";
  return (x, p, out) => {
    const n = x as number;
    if (min !== undefined && !(c.exclusiveMin ? n > min : n >= min))
      out.push(v(p, "min", ruleId, `${n} is below ${c.exclusiveMin ? "or at " : ""}${min}${unit}`));
    else if (max !== undefined && !(c.exclusiveMax ? n < max : n <= max))
      out.push(v(p, "max", ruleId, `${n} is above ${c.exclusiveMax ? "or at " : ""}${max}${unit}`));
  };
}

function stringChecks(c: FieldConstraint, t: string): ScalarCheck[] {
  const checks = lengthChecks(c, t, (x) => codePoints(x as string), "characters");
  const bytes = [
    [c.lenBytes, "len_bytes", (n: number, b: number) => n !== b],
    [c.minBytes, "min_bytes", (n: number, b: number) => n < b],
    [c.maxBytes, "max_bytes", (n: number, b: number) => n > b],
  ] as const;
  for (const [bound, name, fails] of bytes) {
    if (bound === undefined) continue;
    checks.push((x, p, out) => {
      const n = utf8Length(x as string);
      if (fails(n, bound)) out.push(v(p, name, `${t}.${name}`, `is ${n} bytes (${name} ${bound})`));
    });
  }
  if (c.pattern !== undefined) {
    const re = new RegExp(c.pattern, "u");
    checks.push((x, p, out) => {
      if (!re.test(x as string))
        out.push(
          v(
            p,
            "pattern",
            `${t}.pattern`,
            `${JSON.stringify((x as string).slice(0, 64))} does not match ${c.pattern}`,
          ),
        );
    });
  }
  const affixes = [
    [c.prefix, "prefix", (s: string, a: string) => s.startsWith(a)],
    [c.suffix, "suffix", (s: string, a: string) => s.endsWith(a)],
    [c.contains, "contains", (s: string, a: string) => s.includes(a)],
    [c.notContains, "not_contains", (s: string, a: string) => !s.includes(a)],
  ] as const;
  for (const [affix, name, holds] of affixes) {
    if (affix === undefined) continue;
    checks.push((x, p, out) => {
      if (!holds(x as string, affix))
        out.push(v(p, name, `${t}.${name}`, `fails ${name} ${JSON.stringify(affix)}`));
    });
  }
  return checks;
}

/** `string.uuid` / `string.tuuid`; an empty string fails as `string.<format>_empty`, as in protovalidate. */
function wellKnownCheck(format: keyof typeof WELL_KNOWN): ScalarCheck {
  const { re, what } = WELL_KNOWN[format];
  return (x, p, out) => {
    const s = x as string;
    if (s === "")
      out.push(v(p, format, `string.${format}_empty`, `is empty, which is not a valid ${what}`));
    else if (!re.test(s)) out.push(v(p, format, `string.${format}`, `must be a valid ${what}`));
  };
}

function lengthChecks(
  c: FieldConstraint,
  t: string,
  length: (x: unknown) => number,
  what: string,
): ScalarCheck[] {
  const checks: ScalarCheck[] = [];
  const bounds = [
    [c.len, "len", (n: number, b: number) => n !== b, "exactly"],
    [c.minLength, "min_len", (n: number, b: number) => n < b, "fewer than"],
    [c.maxLength, "max_len", (n: number, b: number) => n > b, "more than"],
  ] as const;
  for (const [bound, name, fails, words] of bounds) {
    if (bound === undefined) continue;
    checks.push((x, p, out) => {
      const n = length(x);
      if (fails(n, bound))
        out.push(
          v(
            p,
            name,
            `${t}.${name}`,
            `is ${n} ${what}, ${name === "len" ? "not" : ""} ${words} ${bound}`,
          ),
        );
    });
  }
  return checks;
}

function v(field: string, rule: string, ruleId: string, message: string): ConstraintViolation {
  return { field, rule, ruleId, message: `${field} ${message}` };
}
