/**
 * The unknown-enum check of a decoded record, from a generated table of its enum fields.
 *
 * A protobuf decoder keeps an enum number the enum does not define (proto3 enums are open), and
 * the JSON mapping would then write it as "UNRECOGNIZED" and lose the number. The generator
 * lists, per message type, every field that holds an enum value (its known numbers) or that
 * leads to one (a sub-message, a list or map of them, a oneof member); `EnumCheck` reads those
 * fields of the decoded object directly — no JSON document is built, nothing is allocated
 * unless a value is outside its enum.
 */

/** One field of a message type that holds enum values or leads to some (generated). */
export interface EnumField {
  /** The ts-proto property (for a oneof member, the oneof's union property). */
  readonly key: string;
  /** The name in the JSON document and in reasons, where it differs from `key`. */
  readonly name?: string;
  /** A oneof member: the union's `$case` that holds it (its value is the union's `value`). */
  readonly case?: string;
  /** A repeated field (every item) or a map (every value). */
  readonly each?: "list" | "map";
  /** An enum field: the numbers its enum defines. */
  readonly values?: readonly number[];
  /** A message field: the type (a key of the table) whose enum fields to check in it. */
  readonly type?: string;
}

/** The enum fields of each message type, by fully-qualified type name (generated). */
export type EnumFieldTable = Readonly<Record<string, readonly EnumField[]>>;

/** A field of the table resolved for the walk: types are linked, values a predicate. */
interface Node {
  readonly key: string;
  readonly name: string;
  readonly oneofCase: string | undefined;
  /** 0: a single value, 1: a list, 2: a map. */
  readonly each: 0 | 1 | 2;
  /** Enum field: whether a number is one the enum defines. */
  readonly known: ((value: number) => boolean) | undefined;
  /** Message field: the fields of its type (filled after every type is created: cycles). */
  fields: Node[];
}

const NO_PATHS: readonly string[] = Object.freeze([]);

/**
 * Checks decoded records of one message type for enum numbers outside their enums. Built once
 * per type (the generated codec's `enums`); recursive types are followed as deep as the data.
 */
export class EnumCheck {
  private readonly fields: readonly Node[];

  /** `root`: the record's type name in `table`; a type missing from the table has no enum field. */
  constructor(root: string, table: EnumFieldTable) {
    const types = new Map<string, Node[]>();
    const typeNodes = (name: string): Node[] => {
      let nodes = types.get(name);
      if (nodes) return nodes;
      nodes = [];
      types.set(name, nodes);
      for (const f of table[name] ?? []) nodes.push(resolve(f, typeNodes));
      return nodes;
    };
    this.fields = typeNodes(root);
  }

  /** True when the record holds no enum value outside its enum (allocates nothing). */
  allKnown(record: object): boolean {
    return fieldsKnown(record as Record<string, unknown>, this.fields);
  }

  /**
   * Every enum value outside its enum as `path = number` (JSON names, `[i]` for list items,
   * `.key` for map entries), in field order; empty when there is none.
   */
  unknownPaths(record: object): readonly string[] {
    if (this.allKnown(record)) return NO_PATHS;
    const found: string[] = [];
    collect(record as Record<string, unknown>, this.fields, "", found);
    return found;
  }
}

/** A table entry as a walk node; message types through `typeNodes` (lazily, cycles allowed). */
function resolve(f: EnumField, typeNodes: (name: string) => Node[]): Node {
  const node: Node = {
    key: f.key,
    name: f.name ?? f.key,
    oneofCase: f.case,
    each: f.each === "list" ? 1 : f.each === "map" ? 2 : 0,
    known: f.values ? knownPredicate(f.values) : undefined,
    fields: [],
  };
  if (f.type !== undefined) node.fields = typeNodes(f.type);
  return node;
}

/** A predicate over an enum's numbers: a range check when they are contiguous, else a set. */
function knownPredicate(values: readonly number[]): (value: number) => boolean {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  if (lo === undefined || hi === undefined) return () => false;
  if (hi - lo === sorted.length - 1) return (v) => v >= lo && v <= hi && Number.isInteger(v);
  const set = new Set(sorted);
  return (v) => set.has(v);
}

/** The field's value in `m` (for a oneof member, undefined unless it is the set case). */
function read(m: Record<string, unknown>, n: Node): unknown {
  const v = m[n.key];
  if (n.oneofCase === undefined) return v;
  if (v === null || typeof v !== "object") return undefined;
  const union = v as { $case?: unknown; value?: unknown };
  return union.$case === n.oneofCase ? union.value : undefined;
}

function fieldsKnown(m: Record<string, unknown>, fields: readonly Node[]): boolean {
  for (let i = 0; i < fields.length; i++) {
    const n = fields[i]!;
    const v = read(m, n);
    if (v === undefined || v === null) continue;
    if (n.each === 0) {
      if (!valueKnown(v, n)) return false;
    } else if (n.each === 1) {
      if (!Array.isArray(v)) continue;
      for (let j = 0; j < v.length; j++) if (!valueKnown(v[j], n)) return false;
    } else if (typeof v === "object") {
      const map = v as Record<string, unknown>;
      for (const k in map) if (!valueKnown(map[k], n)) return false;
    }
  }
  return true;
}

/** One value of a field: an enum number (numbers only; an unset optional is undefined) or a message. */
function valueKnown(v: unknown, n: Node): boolean {
  if (n.known !== undefined) return typeof v !== "number" || n.known(v);
  return v === null || typeof v !== "object" || fieldsKnown(v as Record<string, unknown>, n.fields);
}

/** The slow path of `unknownPaths`: the same walk, building a path for each hit. */
function collect(
  m: Record<string, unknown>,
  fields: readonly Node[],
  path: string,
  found: string[],
): void {
  for (const n of fields) {
    const v = read(m, n);
    if (v === undefined || v === null) continue;
    const here = path ? `${path}.${n.name}` : n.name;
    if (n.each === 0) collectValue(v, n, here, found);
    else if (n.each === 1) {
      if (Array.isArray(v)) v.forEach((item, j) => collectValue(item, n, `${here}[${j}]`, found));
    } else if (typeof v === "object") {
      for (const [k, item] of Object.entries(v as Record<string, unknown>))
        collectValue(item, n, `${here}.${k}`, found);
    }
  }
}

function collectValue(v: unknown, n: Node, path: string, found: string[]): void {
  if (n.known !== undefined) {
    if (typeof v === "number" && !n.known(v)) found.push(`${path} = ${v}`);
  } else if (v !== null && typeof v === "object") {
    collect(v as Record<string, unknown>, n.fields, path, found);
  }
}
