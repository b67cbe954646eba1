/** A minimal lexical scanner for `.proto` text: skips strings and comments, matches brackets. */

/** Index just past the string, comment or single character that starts at `i`. */
export function skipToken(src: string, i: number): number {
  const c = src[i];
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
    return j + 1;
  }
  if (c === "/" && src[i + 1] === "/") {
    const nl = src.indexOf("\n", i);
    return nl < 0 ? src.length : nl;
  }
  if (c === "/" && src[i + 1] === "*") {
    const end = src.indexOf("*/", i + 2);
    return end < 0 ? src.length : end + 2;
  }
  return i + 1;
}

/** True when a string or comment starts at `i` (so brackets inside it do not count). */
function opensToken(src: string, i: number): boolean {
  const c = src[i];
  return c === '"' || c === "'" || (c === "/" && (src[i + 1] === "/" || src[i + 1] === "*"));
}

/**
 * Index just past the bracket that closes the one at `open` (`[`, `{` or `(`), skipping strings
 * and comments. Throws on unbalanced text.
 */
export function matchBracket(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length;) {
    if (opensToken(src, i)) {
      i = skipToken(src, i);
      continue;
    }
    const c = src[i]!;
    if (c === "[" || c === "{" || c === "(") depth++;
    else if (c === "]" || c === "}" || c === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Error(`unbalanced bracket at offset ${open}`);
}

/**
 * Indexes of the top-level characters from `from` on: strings, comments and bracketed groups
 * are stepped over whole, so callers see only what is outside them.
 */
function* topLevel(src: string, from: number): Generator<number> {
  for (let i = from; i < src.length;) {
    if (opensToken(src, i)) {
      i = skipToken(src, i);
      continue;
    }
    const c = src[i]!;
    if (c === "[" || c === "{" || c === "(") {
      i = matchBracket(src, i);
      continue;
    }
    yield i;
    i++;
  }
}

/** Splits `a, (b) = {x: 1, y: 2}, c` at top-level commas. */
export function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const i of topLevel(src, 0)) {
    if (src[i] === ",") {
      parts.push(src.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(src.slice(start));
  return parts;
}

/** Index just past the `;` that ends the statement starting at `i` (brackets and strings skipped). */
export function statementEnd(src: string, i: number): number {
  for (const j of topLevel(src, i)) if (src[j] === ";") return j + 1;
  throw new Error("statement without `;`");
}
