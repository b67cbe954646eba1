import { matchBracket, skipToken, splitTopLevel, statementEnd } from "./proto-scan.js";

/** Custom options the AsyncAPI protobuf schema parser understands (it ships their definitions). */
export const KEPT_OPTION_PREFIXES = ["(buf.validate."] as const;

const kept = (option: string): boolean => KEPT_OPTION_PREFIXES.some((p) => option.startsWith(p));

/**
 * Removes custom (parenthesised) options from proto text: `option (x.y) = ...;` statements and
 * `[(x.y) = {...}]` field options (other field options such as `deprecated = true` stay). The
 * AsyncAPI protobuf schema parser cannot resolve custom options without their import, and it
 * accepts no import of our own files. protovalidate options (`(buf.validate.*)`) stay: the
 * parser ships `buf/validate/validate.proto` and turns them into JSON Schema ranges.
 * Comments and strings are copied unchanged.
 */
export function stripCustomOptions(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'" || (c === "/" && (src[i + 1] === "/" || src[i + 1] === "*"))) {
      const j = skipToken(src, i);
      out += src.slice(i, j);
      i = j;
      continue;
    }
    const option = /^option\s*(\()/.exec(src.slice(i, i + 64));
    if (
      option &&
      /(^|[\s;{}])$/.test(src.slice(Math.max(0, i - 1), i)) &&
      !kept(src.slice(i + option[0].length - 1, i + 64))
    ) {
      i = statementEnd(src, i);
      // Drop the whole line when the statement stood alone on it.
      if (/^[ \t]*$/.test(out.slice(out.lastIndexOf("\n") + 1))) {
        out = out.replace(/[ \t]*$/, "");
        const rest = /^[ \t]*\n/.exec(src.slice(i));
        if (rest) i += rest[0].length;
      }
      continue;
    }
    if (c === "[") {
      const end = matchBracket(src, i);
      const rest = splitTopLevel(src.slice(i + 1, end - 1))
        .map((p) => p.trim())
        .filter((p) => p.length > 0 && (!p.startsWith("(") || kept(p)));
      if (rest.length > 0) out += `[${rest.join(", ")}]`;
      else out = out.replace(/[ \t]+$/, "");
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return out.replace(/\{\n[ \t]*\n/g, "{\n");
}
