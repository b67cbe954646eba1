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

/** The worker: indexes each text it is sent, replies on the port, then wakes the waiting thread. */
const WORKER = `
const { workerData } = require("node:worker_threads");
const { port, core, flags } = workerData;
const slots = new Int32Array(flags);
port.on("message", ({ slot, text }) => {
  let reply;
  try {
    reply = { slot, index: require(core).positionIndex(text) ?? null };
  } catch (e) {
    reply = { slot, error: String(e) };
  }
  port.postMessage(reply);
  Atomics.store(slots, slot, 1);
  Atomics.notify(slots, slot);
});`;

const SLOTS = 16;
let pool: { port: MessagePort; slots: Int32Array; next: number } | undefined;
const replies = new Map<number, { index?: PositionIndex | null; error?: string }>();

/** The positions worker, started on first use (unreferenced: it never keeps the process alive). */
function positionsWorker(): typeof pool {
  if (pool) return pool;
  try {
    const { port1, port2 } = new MessageChannel();
    const flags = new SharedArrayBuffer(4 * SLOTS);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, core: CORE, flags },
      transferList: [port2],
    });
    worker.unref();
    worker.on("error", () => undefined); // a failed worker: the waits time out, this thread indexes
    port1.unref();
    pool = { port: port1, slots: new Int32Array(flags), next: 0 };
  } catch {
    pool = undefined;
  }
  return pool;
}

/**
 * Starts indexing `text` in a worker thread (the `yaml` document takes ~0.1–0.3 s to build on
 * a cold start; this thread goes on meanwhile) and returns a function that gives the index,
 * waiting for the worker if it is not done, or indexing here if the worker cannot answer.
 */
export function startPositionIndex(text: string): () => PositionIndex | undefined {
  const w = positionsWorker();
  if (!w || w.next >= SLOTS) return () => positionIndexHere(text);
  const slot = w.next++;
  w.port.postMessage({ slot, text });
  let result: PositionIndex | undefined | null;
  let done = false;
  return () => {
    if (done) return result ?? undefined;
    done = true;
    while (!replies.has(slot)) {
      if (Atomics.wait(w.slots, slot, 0, 10_000) === "timed-out") break;
      for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
        const reply = m.message as { slot: number; index?: PositionIndex | null; error?: string };
        replies.set(reply.slot, reply);
      }
    }
    const reply = replies.get(slot);
    result = reply && reply.error === undefined ? reply.index : positionIndexHere(text);
    return result ?? undefined;
  };
}
