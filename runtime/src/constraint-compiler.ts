import type { FieldConstraint, MessageConstraints } from "./constraints.js";
import { compilePattern } from "./constraint-pattern.js";
import { codePoints, isDefault, isUnique, utf8Length, WELL_KNOWN } from "./constraint-values.js";

/** True when a message satisfies every constraint of its table (no violation to report). */
export type FastCheck = (message: object) => boolean;

/**
 * Compiles a constraint table into one straight-line function per message type: each field is
 * a few property reads and comparisons inlined in a single body (monomorphic property access,
 * no closure per field, no violation objects). It answers only "valid or not"; the interpreter
 * in `ConstraintChecker` builds the violation list when it says no. The verdict is the
 * interpreter's by construction (same getter, same skips, same rules; see
 * `runtime/test/constraint-compiler.test.ts` and the protovalidate differential test).
 *
 * Values of the table reach the code as literals only where a literal is exact and inert
 * (finite numbers, booleans, strings through `JSON.stringify`); patterns, sets and anything
 * else are bound constants (`K[i]`), so nothing from the spec is ever evaluated as code.
 * Returns undefined where the platform forbids
 * code generation from strings (`--disallow-code-generation-from-strings`): the caller then
 * interprets, with the same verdicts.
 */
export function compileFastCheck(table: MessageConstraints): FastCheck | undefined {
  const constants: unknown[] = [];
  const k = (value: unknown): string => {
    if (typeof value === "number" && Number.isFinite(value)) return `(${String(value)})`;
    if (typeof value === "boolean") return String(value);
    if (typeof value === "string") return JSON.stringify(value);
    constants.push(value);
    return `K[${constants.length - 1}]`;
  };
  const body = table.fields.map((c, i) => fieldSource(c, `f${i}`, k)).join("\n");
  const source = `"use strict";\nreturn function fastCheck(m) {\nlet p, x, l, y;\n${body}\nreturn true;\n};`;
  try {
    // Constants are bound through `K`, not spliced as code (see above).
    const build = new Function("K", "H", source) as (k: unknown[], h: unknown) => FastCheck;
    return build(constants, HELPERS);
  } catch {
    return undefined;
  }
}

const HELPERS = { codePoints, utf8Length, isUnique, isDefault };

type Constant = (value: unknown) => string;

/**
 * One field as a labelled block: `break <label>` where the interpreter's getter answers
 * ABSENT (a parent sub-message unset, a oneof holding another case) or where a zero value
 * ends the field's checks; `return false` on the first broken rule.
 */
function fieldSource(c: FieldConstraint, label: string, k: Constant): string {
  const lines: string[] = [`${label}: {`];
  const keys = c.path.split(".");
  const cases = new Map((c.oneofs ?? []).map((o) => [o.at, o.case]));
  let from = "m";
  for (let i = 0; i < keys.length; i++) {
    const into = i === keys.length - 1 ? "x" : "p";
    if (i > 0) lines.push(`if (${from} === undefined || ${from} === null) break ${label};`);
    lines.push(`${into} = ${from}[${k(keys[i])}];`);
    const expected = cases.get(i);
    if (expected !== undefined)
      lines.push(
        `if (${into} === undefined || ${into} === null || ${into}["$case"] !== ${k(expected)}) break ${label};`,
      );
    from = into;
  }
  const zeroStops = c.required || c.ignoreZero === true;
  const onZero = c.required ? "return false;" : `break ${label};`;
  if (c.kind === "oneof" || c.kind === "message") {
    if (c.required) lines.push("if (x === undefined || x === null) return false;");
  } else if (c.repeated) {
    lines.push("l = x === undefined || x === null ? [] : x;");
    if (zeroStops) lines.push(`if (l.length === 0) { ${onZero} }`);
    if (c.minItems !== undefined) lines.push(`if (l.length < ${k(c.minItems)}) return false;`);
    if (c.maxItems !== undefined) lines.push(`if (l.length > ${k(c.maxItems)}) return false;`);
    if (c.unique) lines.push("if (!H.isUnique(l)) return false;");
    const scalar = scalarSource(c, k);
    if (scalar.length > 0)
      lines.push("for (let i = 0; i < l.length; i++) {", "y = l[i];", ...scalar, "}");
  } else {
    if (zeroStops) lines.push(`if (H.isDefault(x)) { ${onZero} }`);
    const scalar = scalarSource(c, k);
    if (scalar.length > 0) lines.push("y = x;", ...scalar);
  }
  lines.push("}");
  return lines.join("\n");
}

/** The rules of one value `y` (a field, or one list item), as `compileScalar` applies them. */
function scalarSource(c: FieldConstraint, k: Constant): string[] {
  const out: string[] = [];
  if (c.const !== undefined) out.push(`if (y !== ${k(c.const)}) return false;`);
  if (c.kind === "number" || c.kind === "bigint-number" || c.kind === "enum") {
    // NaN fails both comparisons, as in the interpreter.
    if (c.min !== undefined)
      out.push(`if (!(y ${c.exclusiveMin ? ">" : ">="} ${k(c.min)})) return false;`);
    if (c.max !== undefined)
      out.push(`if (!(y ${c.exclusiveMax ? "<" : "<="} ${k(c.max)})) return false;`);
    if (c.finite) out.push("if (!Number.isFinite(y)) return false;");
    if (c.definedOnly) out.push(`if (!${k(new Set(c.definedOnly))}.has(y)) return false;`);
  }
  if (c.kind === "string") {
    const lengths = [c.len, c.minLength, c.maxLength].some((b) => b !== undefined);
    if (lengths)
      out.push(
        "{ const n = H.codePoints(y);",
        ...boundsSource(c.len, c.minLength, c.maxLength, k),
        "}",
      );
    const bytes = [c.lenBytes, c.minBytes, c.maxBytes].some((b) => b !== undefined);
    if (bytes)
      out.push(
        "{ const n = H.utf8Length(y);",
        ...boundsSource(c.lenBytes, c.minBytes, c.maxBytes, k),
        "}",
      );
    if (c.pattern !== undefined) out.push(`if (!${k(compilePattern(c.pattern))}(y)) return false;`);
    if (c.prefix !== undefined) out.push(`if (!y.startsWith(${k(c.prefix)})) return false;`);
    if (c.suffix !== undefined) out.push(`if (!y.endsWith(${k(c.suffix)})) return false;`);
    if (c.contains !== undefined) out.push(`if (!y.includes(${k(c.contains)})) return false;`);
    if (c.notContains !== undefined) out.push(`if (y.includes(${k(c.notContains)})) return false;`);
  }
  if (c.kind === "bytes") {
    const lengths = [c.len, c.minLength, c.maxLength].some((b) => b !== undefined);
    if (lengths)
      out.push("{ const n = y.length;", ...boundsSource(c.len, c.minLength, c.maxLength, k), "}");
  }
  if (c.in) out.push(`if (!${k(new Set<unknown>(c.in))}.has(y)) return false;`);
  if (c.notIn) out.push(`if (${k(new Set<unknown>(c.notIn))}.has(y)) return false;`);
  if (c.kind === "string" && c.wellKnown)
    out.push(`if (y === "" || !${k(WELL_KNOWN[c.wellKnown].re)}.test(y)) return false;`);
  return out;
}

/** Exact / minimum / maximum bounds of a length already in `n`. */
function boundsSource(
  len: number | undefined,
  min: number | undefined,
  max: number | undefined,
  k: Constant,
): string[] {
  const out: string[] = [];
  if (len !== undefined) out.push(`if (n !== ${k(len)}) return false;`);
  if (min !== undefined) out.push(`if (n < ${k(min)}) return false;`);
  if (max !== undefined) out.push(`if (n > ${k(max)}) return false;`);
  return out;
}
