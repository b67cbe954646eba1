import { createRequire } from "node:module";
import jsYaml from "js-yaml";
import type { Document, Node } from "yaml";
import { DiagnosticBag, lazyPosition, NO_POSITION, type Position } from "../diagnostics.js";
import { startPositionIndex, walkIndex, type PositionIndex } from "./yaml-positions.js";

/**
 * The `yaml` package, loaded only when this thread needs a document (a syntax error, or a
 * worker that cannot answer): the position index is built in a worker (yaml-positions.ts).
 */
const requireHere = createRequire(import.meta.url);
const yamlLib = () => requireHere("yaml") as typeof import("yaml");

/** A parsed YAML file that can answer "where is this value?" for diagnostics. */
export interface YamlSource {
  readonly file: string;
  /** The plain JavaScript value (undefined when the file did not parse). */
  readonly value: unknown;
  /** Position of the value at `path` (keys and indexes), or of its nearest existing parent. */
  locate(path: readonly (string | number)[]): Position;
  /** Position of the key at `path` rather than its value (for "unknown property" errors). */
  locateKey(path: readonly (string | number)[]): Position;
}

/**
 * Parses YAML text, recording syntax errors with their line and column in `bag`.
 * Duplicate keys are errors, since a silently overwritten key in a spec is a bug.
 *
 * The value comes from js-yaml (fast); the position-keeping `yaml` document is built in a
 * worker thread meanwhile (yaml-positions.ts), and waited for only when something asks where a
 * value is. On a syntax error the `yaml` parser reports it, because its messages and positions
 * are the more precise.
 */
export function parseYamlSource(file: string, text: string, bag: DiagnosticBag): YamlSource {
  let value: unknown;
  let parsed: { doc: Document.Parsed; toPos: (offset: number) => Position } | undefined;
  const positions = () => {
    if (parsed) return parsed;
    const { LineCounter, parseDocument } = yamlLib();
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const toPos = (offset: number): Position => {
      const p = lineCounter.linePos(offset);
      return { line: p.line, column: p.col };
    };
    parsed = { doc, toPos };
    return parsed;
  };
  let index: (() => PositionIndex | undefined) | undefined;
  try {
    value = jsYaml.load(text, { filename: file, json: false });
    index = startPositionIndex(text);
  } catch {
    const { doc, toPos } = positions();
    for (const err of doc.errors) {
      bag.error(file, toPos(err.pos[0]), "yaml/syntax", err.message.split("\n")[0] ?? err.message);
    }
    if (doc.errors.length === 0) bag.error(file, NO_POSITION, "yaml/syntax", "YAML does not parse");
    value = undefined;
  }

  const walk = (path: readonly (string | number)[], wantKey: boolean): Position => {
    const indexed = index?.();
    if (indexed) return walkIndex(indexed, path, wantKey);
    const { doc, toPos } = positions();
    const { isMap, isPair, isScalar, isSeq } = yamlLib();
    let node: unknown = doc.contents;
    let best: Position = NO_POSITION;
    const nodePos = (n: unknown): Position | undefined => {
      const range = (n as Node | null)?.range;
      return range ? toPos(range[0]) : undefined;
    };
    best = nodePos(node) ?? best;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) return best;
        const isLast = i === path.length - 1;
        if (isLast && wantKey) return nodePos(pair.key) ?? best;
        node = pair.value;
        best = nodePos(node) ?? nodePos(pair.key) ?? best;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        if (item === undefined) return best;
        node = item;
        best = nodePos(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  };

  return {
    file,
    value,
    // Lazy: the position index (a worker's) is waited for only when a position is read.
    locate: (path) => {
      const at = [...path];
      return lazyPosition(() => walk(at, false));
    },
    locateKey: (path) => {
      const at = [...path];
      return lazyPosition(() => walk(at, true));
    },
  };
}

/** Splits a JSON pointer (`/a/0/b`) into path segments. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
