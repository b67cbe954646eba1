import { createRequire } from "node:module";
import { join } from "node:path";
import { NO_POSITION, type Position } from "../diagnostics.js";
import { post, replyTo, yamlWorker } from "./yaml-worker.mjs";

/** A node of a position index (see yaml-positions-core.cjs). */
export interface PositionNode {
  readonly p?: readonly [number, number];
  readonly m?: readonly (readonly [
    string | null,
    readonly [number, number] | undefined,
    PositionNode | null,
  ])[];
  readonly s?: readonly (PositionNode | null)[];
}

/** The index of one file; `root` undefined for an empty document. */
export interface PositionIndex {
  readonly root: PositionNode | null;
}

const CORE = join(import.meta.dirname, "yaml-positions-core.cjs");
const requireHere = createRequire(import.meta.url);

/** The index computed in this thread (the same code the worker runs). */
export function positionIndexHere(text: string): PositionIndex | undefined {
  const core = requireHere(CORE) as { positionIndex(text: string): PositionIndex | undefined };
  return core.positionIndex(text);
}

/**
 * The position of the value (or, with `wantKey`, of the key) at `path`, or of its nearest
 * existing parent — exactly the walk yaml-source.ts does over a `yaml` document, over its index.
 */
export function walkIndex(
  index: PositionIndex,
  path: readonly (string | number)[],
  wantKey: boolean,
): Position {
  const at = (p: readonly [number, number] | undefined): Position | undefined =>
    p ? { line: p[0], column: p[1] } : undefined;
  let node: PositionNode | null = index.root;
  let best: Position = at(node?.p) ?? NO_POSITION;
  for (let i = 0; i < path.length; i++) {
    const seg = String(path[i]);
    if (node?.m) {
      const pair = node.m.find((e) => e[0] !== null && e[0] === seg);
      if (!pair) return best;
      if (i === path.length - 1 && wantKey) return at(pair[1]) ?? best;
      node = pair[2];
      best = at(node?.p) ?? at(pair[1]) ?? best;
    } else if (node?.s) {
      const item = node.s[Number(path[i])];
      if (item === undefined) return best;
      node = item;
      best = at(node?.p) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

/** An edit-and-print job on a YAML text (see the worker in yaml-worker.mjs). */
export interface BundleJob {
  /** Path of a CommonJS module exporting `bundleDocument(doc, payloads, schemaFormat)` and `bundleContract(text, payloads, schemaFormat)`. */
  readonly core: string;
  readonly payloads: readonly { readonly id: string; readonly schema: string }[];
  readonly schemaFormat: string;
}

/** A reply of the YAML worker (yaml-worker.mjs). */
interface Reply {
  readonly id: number;
  readonly index?: PositionIndex | null;
  readonly text?: string;
  readonly error?: string;
}

/** The YAML worker (yaml-worker.mjs; launch.mjs usually started it already), or null. */
const worker = () => yamlWorker(CORE);

/**
 * Starts indexing `text` in a worker thread (the `yaml` document takes ~0.1–0.3 s to build on
 * a cold start; this thread goes on meanwhile) — or finds it already posted by launch.mjs — and
 * returns a function that gives the index, waiting for the worker if it is not done, or indexing
 * here if the worker cannot answer.
 */
export function startPositionIndex(text: string): () => PositionIndex | undefined {
  const w = worker();
  if (!w) return () => positionIndexHere(text);
  let id = w.posted.get(text);
  if (id === undefined) id = post(w, { text });
  else w.posted.delete(text);
  const requested = id;
  let result: PositionIndex | undefined | null;
  let done = false;
  return () => {
    if (done) return result ?? undefined;
    done = true;
    const r = replyTo(w, requested) as Reply | undefined;
    result = r ? r.index : positionIndexHere(text);
    return result ?? undefined;
  };
}

/**
 * Starts `job` on `text` in the YAML worker — on the document it already parsed for
 * {@link startPositionIndex}, if it did — and returns a function that gives the printed text,
 * waiting for the worker if it is not done, or undefined when the worker cannot answer or the
 * job threw there (the caller then runs the job in this thread, where it throws the same).
 */
export function startYamlBundle(text: string, job: BundleJob): () => string | undefined {
  const w = worker();
  if (!w) return () => undefined;
  const id = post(w, { text, bundle: job });
  return () => (replyTo(w, id) as Reply | undefined)?.text;
}
