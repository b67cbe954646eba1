import { createRequire } from "node:module";
import { join } from "node:path";
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from "node:worker_threads";
import { NO_POSITION, type Position } from "../diagnostics.js";

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

/**
 * The worker: indexes each text it is sent, replies on the port, then counts the reply in
 * shared memory and wakes a thread waiting on the count. It keeps the last parse of each text,
 * so that a later edit-and-print job on the same text (`bundle`: the bundled contract, see
 * emit/docs/asyncapi-bundle.ts) reuses the document instead of parsing it again.
 */
const WORKER = `
const { workerData } = require("node:worker_threads");
const { port, core, counter } = workerData;
const count = new Int32Array(counter);
const parsed = new Map();
port.on("message", ({ id, text, bundle }) => {
  let reply;
  try {
    if (bundle) {
      const { bundleDocument, bundleContract } = require(bundle.core);
      const doc = parsed.get(text)?.doc;
      parsed.delete(text);
      reply = {
        id,
        text: doc
          ? bundleDocument(doc, bundle.payloads, bundle.schemaFormat)
          : bundleContract(text, bundle.payloads, bundle.schemaFormat),
      };
    } else {
      const c = require(core);
      const p = c.parsePositioned(text);
      parsed.set(text, p);
      reply = { id, index: c.indexOf(p) ?? null };
    }
  } catch (e) {
    reply = { id, error: String(e) };
  }
  port.postMessage(reply);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
});`;

interface Reply {
  readonly id: number;
  readonly index?: PositionIndex | null;
  readonly text?: string;
  readonly error?: string;
}

/** An edit-and-print job on a YAML text (see the worker above). */
export interface BundleJob {
  /** Path of a CommonJS module exporting `bundleDocument(doc, payloads, schemaFormat)` and `bundleContract(text, payloads, schemaFormat)`. */
  readonly core: string;
  readonly payloads: readonly { readonly id: string; readonly schema: string }[];
  readonly schemaFormat: string;
}

let pool: { port: MessagePort; count: Int32Array; next: number } | undefined | null;
const replies = new Map<number, Reply>();

/** The positions worker, started on first use (unreferenced: it never keeps the process alive). */
function positionsWorker(): typeof pool {
  if (pool !== undefined) return pool;
  try {
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, core: CORE, counter },
      transferList: [port2],
    });
    worker.unref();
    worker.on("error", () => undefined); // a failed worker: the wait times out, this thread indexes
    port1.unref();
    pool = { port: port1, count: new Int32Array(counter), next: 0 };
  } catch {
    pool = null;
  }
  return pool;
}

/** Moves every reply the worker has sent so far into `replies`. */
function drain(port: MessagePort): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const reply = m.message as Reply;
    replies.set(reply.id, reply);
  }
}

/**
 * Sends `message` to the worker and returns a function that gives its reply, waiting for the
 * worker if it is not done (Atomics.wait on the worker's reply count, then the reply taken
 * synchronously from the port); undefined when the worker failed or did not answer in time.
 */
function request(
  w: NonNullable<typeof pool>,
  message: { text: string; bundle?: BundleJob },
): () => Reply | undefined {
  const id = w.next++;
  w.port.postMessage({ id, ...message });
  return () => {
    for (;;) {
      const seen = Atomics.load(w.count, 0);
      drain(w.port);
      if (replies.has(id)) break;
      if (Atomics.wait(w.count, 0, seen, 10_000) === "timed-out") break;
    }
    const reply = replies.get(id);
    replies.delete(id);
    return reply && reply.error === undefined ? reply : undefined;
  };
}

/**
 * Starts indexing `text` in a worker thread (the `yaml` document takes ~0.1–0.3 s to build on
 * a cold start; this thread goes on meanwhile) and returns a function that gives the index,
 * waiting for the worker if it is not done, or indexing here if the worker cannot answer.
 */
export function startPositionIndex(text: string): () => PositionIndex | undefined {
  const w = positionsWorker();
  if (!w) return () => positionIndexHere(text);
  const reply = request(w, { text });
  let result: PositionIndex | undefined | null;
  let done = false;
  return () => {
    if (done) return result ?? undefined;
    done = true;
    const r = reply();
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
  const w = positionsWorker();
  if (!w) return () => undefined;
  const reply = request(w, { text, bundle: job });
  return () => reply()?.text;
}
