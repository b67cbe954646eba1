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
 * shared memory and wakes a thread waiting on the count.
 */
const WORKER = `
const { workerData } = require("node:worker_threads");
const { port, core, counter } = workerData;
const count = new Int32Array(counter);
port.on("message", ({ id, text }) => {
  let reply;
  try {
    reply = { id, index: require(core).positionIndex(text) ?? null };
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
  readonly error?: string;
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
 * Starts indexing `text` in a worker thread (the `yaml` document takes ~0.1–0.3 s to build on
 * a cold start; this thread goes on meanwhile) and returns a function that gives the index,
 * waiting for the worker if it is not done (Atomics.wait on the worker's reply count, then the
 * reply taken synchronously from the port), or indexing here if the worker cannot answer.
 */
export function startPositionIndex(text: string): () => PositionIndex | undefined {
  const w = positionsWorker();
  if (!w) return () => positionIndexHere(text);
  const id = w.next++;
  w.port.postMessage({ id, text });
  let result: PositionIndex | undefined | null;
  let done = false;
  return () => {
    if (done) return result ?? undefined;
    done = true;
    for (;;) {
      const seen = Atomics.load(w.count, 0);
      drain(w.port);
      if (replies.has(id)) break;
      if (Atomics.wait(w.count, 0, seen, 10_000) === "timed-out") break;
    }
    const reply = replies.get(id);
    replies.delete(id);
    result = reply && reply.error === undefined ? reply.index : positionIndexHere(text);
    return result ?? undefined;
  };
}
