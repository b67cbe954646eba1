/**
 * A `string.pattern` rule as a plain character test where the regular expression is a fixed
 * sequence of ASCII positions (`^VIN-[A-HJ-NPR-Z0-9]{17}$`, a UUID layout, a code like
 * `^P[0-9]{4}$`): a length check and one table lookup per character, no regular-expression
 * engine call. Any other pattern keeps its `RegExp` (same verdicts either way).
 */

/** The syntax characters that `u`-mode allows as identity escapes (`\.` is a literal dot). */
const SYNTAX = "^$\\.*+?()[]{}|/";
/** Printable ASCII that needs no escape outside a class. */
const isPlain = (ch: string): boolean => ch >= " " && ch <= "~" && !SYNTAX.includes(ch);

/**
 * Compiles `pattern` (as `new RegExp(pattern, "u")` reads it) into a test, or returns the
 * regular expression's own test when the pattern is not of the fixed-position kind: anchored
 * at both ends, made only of ASCII literals and ASCII classes (`[a-z0-9_]`, no negation, no
 * escapes inside), each optionally repeated an exact `{n}` times.
 */
export function compilePattern(pattern: string): (value: unknown) => boolean {
  const re = new RegExp(pattern, "u");
  const positions = fixedPositions(pattern);
  if (positions === undefined) return (value) => re.test(value as string);
  const length = positions.length;
  const table = new Uint8Array(length * 128);
  positions.forEach((allowed, i) => {
    for (const code of allowed) table[i * 128 + code] = 1;
  });
  return (value) => {
    if (typeof value !== "string") return re.test(value as string);
    if (value.length !== length) return false;
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127 || table[i * 128 + c] === 0) return false;
    }
    return true;
  };
}

/**
 * The allowed ASCII codes of each position of a fixed-position pattern, or undefined when the
 * pattern is anything else (then the caller keeps the `RegExp`). In a fully ASCII pattern a
 * string matches only if it is all ASCII, so UTF-16 units and code points coincide.
 */
export function fixedPositions(pattern: string): number[][] | undefined {
  if (!pattern.startsWith("^") || !pattern.endsWith("$") || pattern.endsWith("\\$"))
    return undefined;
  const body = pattern.slice(1, -1);
  const out: number[][] = [];
  let i = 0;
  while (i < body.length) {
    let atom: number[] | undefined;
    const ch = body[i]!;
    if (ch === "[") {
      const end = body.indexOf("]", i + 1);
      if (end < 0) return undefined;
      atom = classCodes(body.slice(i + 1, end));
      i = end + 1;
    } else if (ch === "\\") {
      const next = body[i + 1];
      if (next === undefined || !SYNTAX.includes(next)) return undefined;
      atom = [next.charCodeAt(0)];
      i += 2;
    } else if (isPlain(ch)) {
      atom = [ch.charCodeAt(0)];
      i += 1;
    }
    if (atom === undefined) return undefined;
    let times = 1;
    if (body[i] === "{") {
      const m = /^\{(\d{1,3})\}/.exec(body.slice(i));
      if (!m) return undefined;
      times = Number(m[1]);
      i += m[0].length;
    } else if (i < body.length && "*+?".includes(body[i]!)) return undefined;
    for (let t = 0; t < times; t++) out.push(atom);
  }
  return out.length > 0 && out.length <= 256 ? out : undefined;
}

/** The codes of a class body such as `A-HJ-NPR-Z0-9`, or undefined outside the plain subset. */
function classCodes(inner: string): number[] | undefined {
  if (inner === "" || inner.startsWith("^")) return undefined;
  const codes = new Set<number>();
  for (let i = 0; i < inner.length;) {
    const a = inner[i]!;
    if (a === "\\" || a === "[" || a === "-" || a < " " || a > "~") return undefined;
    if (inner[i + 1] === "-" && i + 2 < inner.length) {
      const b = inner[i + 2]!;
      if (b === "\\" || b === "[" || b === "-" || b < " " || b > "~" || b < a) return undefined;
      for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) codes.add(c);
      i += 3;
    } else {
      if (inner[i + 1] === "-") return undefined; // a trailing "-": keep the RegExp
      codes.add(a.charCodeAt(0));
      i += 1;
    }
  }
  return [...codes];
}
