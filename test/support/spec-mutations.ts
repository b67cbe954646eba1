import { parseDocument } from "yaml";

/** One single-point edit of a spec file: the file, where, what; `apply` gives the edited text. */
export interface SpecMutation {
  readonly file: string;
  readonly where: string;
  readonly kind: string;
  apply(original: string): string;
}

const YAML_KINDS = ["delete", "string", "number", "map", "list"] as const;

/** Every path (keys and list indexes) of a YAML document's value. */
function pathsOf(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (at.length > 0) out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

/**
 * Each node of a YAML file deleted, or replaced by a string, a negative number, an empty map
 * or an empty list (comments and layout kept).
 */
export function yamlMutations(file: string, original: string): SpecMutation[] {
  return pathsOf(parseDocument(original).toJS()).flatMap((path) =>
    YAML_KINDS.map((kind) => ({
      file,
      where: path.join("."),
      kind,
      apply: (text: string) => {
        const doc = parseDocument(text);
        if (kind === "delete") doc.deleteIn(path);
        else if (kind === "string") doc.setIn(path, "zz-mutant");
        else if (kind === "number") doc.setIn(path, -1);
        else doc.setIn(path, doc.createNode(kind === "map" ? {} : []));
        return doc.toString();
      },
    })),
  );
}

const FIELD = /^(\s*)(repeated |optional )?([\w.]+) (\w+) = (\d+)/;

/** Each code line of a .proto file deleted; each field retyped or renamed. */
export function protoMutations(file: string, original: string): SpecMutation[] {
  const lines = original.split("\n");
  const out: SpecMutation[] = [];
  const edit = (i: number, kind: string, line: string | undefined) =>
    out.push({
      file,
      where: `line ${i + 1}`,
      kind,
      apply: (text) => {
        const copy = text.split("\n");
        if (line === undefined) copy.splice(i, 1);
        else copy[i] = line;
        return copy.join("\n");
      },
    });
  lines.forEach((l, i) => {
    if (!l.trim() || l.trim().startsWith("//")) return;
    edit(i, "delete", undefined);
    const m = FIELD.exec(l);
    if (!m) return;
    for (const t of ["string", "bytes", "double", "int64", "bool", "Unknown"])
      if (t !== m[3]) edit(i, `type ${t}`, l.replace(` ${m[3]} ${m[4]} `, ` ${t} ${m[4]} `));
    edit(i, "rename", l.replace(`${m[4]} = `, `${m[4]}_x = `));
  });
  return out;
}

/** `count` items of `all`, drawn without replacement by a seeded generator (same pick every run). */
export function pick<T>(all: readonly T[], count: number, seed: number): T[] {
  const pool = [...all];
  const out: T[] = [];
  let s = seed;
  while (out.length < Math.min(count, all.length)) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(pool.splice(Math.floor((s / 2 ** 31) * pool.length), 1)[0]!);
  }
  return out;
}
