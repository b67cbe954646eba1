/** Prettier's default line width in this repository (`.prettierrc.json`). */
const WIDTH = 100;
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
/** A string-valued property moves its value to the next line when too long, unless the key is shorter than this. */
const MIN_BREAKABLE_KEY = 5;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A TypeScript literal for plain (JSON-compatible) data, printed the way prettier prints it
 * (printWidth 100, double quotes, keys unquoted where possible, objects always expanded, arrays
 * on one line when they fit, trailing commas), so a template can emit it without a prettier pass.
 * `column` is where the literal starts on its line and `indent` the indentation of that line;
 * `suffix` is what follows the literal on its last line (it counts towards the width).
 * Values JSON cannot hold are dropped or converted exactly as JSON.stringify does.
 */
export function prettyLiteral(value: unknown, indent = 0, column = indent, suffix = ""): string {
  const data = JSON.parse(JSON.stringify(value) ?? "null") as Json;
  return print(data, indent, column, suffix);
}

function print(v: Json, indent: number, column: number, suffix: string): string {
  if (v === null || typeof v !== "object") return scalar(v);
  if (Array.isArray(v)) return printArray(v, indent, column, suffix);
  return printObject(v, indent);
}

function scalar(v: null | boolean | number | string): string {
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") return String(v).replace("e+", "e");
  return String(v);
}

/** Prettier's quote choice: double quotes unless the text holds more double than single quotes. */
function quote(s: string): string {
  const json = JSON.stringify(s);
  const doubles = (s.match(/"/g) ?? []).length;
  const singles = (s.match(/'/g) ?? []).length;
  if (doubles <= singles) return json;
  return `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** The one-line form, or undefined when the value must span lines (a non-empty object). */
function flat(v: Json): string | undefined {
  if (v === null || typeof v !== "object") return scalar(v);
  if (Array.isArray(v)) {
    const items = v.map(flat);
    return items.every((i) => i !== undefined) ? `[${items.join(", ")}]` : undefined;
  }
  return Object.keys(v).length === 0 ? "{}" : undefined;
}

function printArray(v: Json[], indent: number, column: number, suffix: string): string {
  if (v.length === 0) return "[]";
  const pad = " ".repeat(indent + 2);
  // Prettier always breaks an array of two or more objects (or arrays) with more than one entry each.
  const forced =
    v.length > 1 &&
    v.every((e) =>
      Array.isArray(e)
        ? e.length > 1
        : e !== null && typeof e === "object" && Object.keys(e).length > 1,
    );
  const one = forced ? undefined : flat(v);
  if (one !== undefined && column + one.length + suffix.length <= WIDTH) return one;
  if (v.every((e) => typeof e === "number")) {
    // Numbers fill lines, as many per line as fit.
    const lines: string[] = [];
    let line = "";
    for (const e of v as number[]) {
      const item = `${scalar(e)},`;
      if (line && indent + 2 + line.length + 1 + item.length > WIDTH) {
        lines.push(line);
        line = item;
      } else line = line ? `${line} ${item}` : item;
    }
    lines.push(line);
    return `[\n${lines.map((l) => pad + l).join("\n")}\n${" ".repeat(indent)}]`;
  }
  const items = v.map((e) => `${pad}${print(e, indent + 2, indent + 2, ",")},`);
  return `[\n${items.join("\n")}\n${" ".repeat(indent)}]`;
}

function printObject(v: { [key: string]: Json }, indent: number): string {
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  const pad = " ".repeat(indent + 2);
  const lines = entries.map(([k, val]) => {
    const key = IDENTIFIER.test(k) ? k : quote(k);
    const head = `${pad}${key}: `;
    if (typeof val === "string") {
      const s = quote(val);
      if (head.length + s.length + 1 > WIDTH && key.length >= MIN_BREAKABLE_KEY)
        return `${pad}${key}:\n${pad}  ${s},`;
      return `${head}${s},`;
    }
    return `${head}${print(val, indent + 2, head.length, ",")},`;
  });
  return `{\n${lines.join("\n")}\n${" ".repeat(indent)}}`;
}
