// The YAML worker thread: builds the position indexes of the spec's YAML files (and prints the
// bundled contract, on the document it parsed), started by generator/launch.mjs before the
// generator bundle loads, with the spec's YAML files already posted to it — the cold `yaml`
// parse then runs beside the bundle's loading instead of after it. load/yaml-positions.ts
// takes the same worker over (shared through a global) and finds those requests in flight.
// Plain JavaScript, no import.meta (it is also bundled), so that launch.mjs loads it at once.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";

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

const SHARED = Symbol.for("v2c-gen.yaml-worker");

/**
 * The process's YAML worker (`core`: path of yaml-positions-core.cjs), started on first use —
 * unreferenced: it never keeps the process alive — or null when no worker can be started.
 * `{ port, count, next, replies, posted }`: `posted` maps a text already sent for indexing to
 * its request id.
 */
export function yamlWorker(core) {
  const existing = globalThis[SHARED];
  if (existing !== undefined) return existing;
  let pool;
  try {
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { port: port2, core, counter },
      transferList: [port2],
    });
    worker.unref();
    worker.on("error", () => undefined); // a failed worker: the wait times out, the caller indexes
    port1.unref();
    pool = {
      worker,
      port: port1,
      count: new Int32Array(counter),
      next: 0,
      replies: new Map(),
      posted: new Map(),
    };
  } catch {
    pool = null;
  }
  globalThis[SHARED] = pool;
  return pool;
}

/**
 * Stops the worker, if one was started (a run answered from the whole-run cache needs no
 * positions: the early start's work is dropped at once instead of competing for the CPU).
 */
export function stopYamlWorker() {
  const pool = globalThis[SHARED];
  if (!pool) return;
  globalThis[SHARED] = null;
  void pool.worker.terminate();
}

/** Sends `message` (`{ text, bundle? }`) to the worker; returns its request id. */
export function post(pool, message) {
  const id = pool.next++;
  pool.port.postMessage({ id, ...message });
  return id;
}

/**
 * The reply to request `id`, waiting for the worker if it is not done (Atomics.wait on the
 * worker's reply count, then the replies taken synchronously from the port); undefined when
 * the worker failed, or did not answer within 10 s.
 */
export function replyTo(pool, id) {
  for (;;) {
    const seen = Atomics.load(pool.count, 0);
    for (let m = receiveMessageOnPort(pool.port); m; m = receiveMessageOnPort(pool.port))
      pool.replies.set(m.message.id, m.message);
    if (pool.replies.has(id)) break;
    if (Atomics.wait(pool.count, 0, seen, 10_000) === "timed-out") break;
  }
  const reply = pool.replies.get(id);
  pool.replies.delete(id);
  return reply && reply.error === undefined ? reply : undefined;
}

/** The texts launch.mjs posts: `<root>/asyncapi.yaml` and every `<root>/fmea/*.yaml`, readable ones. */
function specYamlTexts(root) {
  const files = [join(root, "asyncapi.yaml")];
  try {
    for (const f of readdirSync(join(root, "fmea")).sort())
      if (/\.ya?ml$/.test(f)) files.push(join(root, "fmea", f));
  } catch {
    // no fmea/: the loader reports it
  }
  const texts = [];
  for (const file of files) {
    try {
      texts.push(readFileSync(file, "utf8"));
    } catch {
      // unreadable: the loader reports it
    }
  }
  return texts;
}

/** Hash of those texts (what the last run answered from the whole-run cache had, see below). */
function textsHash(texts) {
  const h = createHash("sha256");
  for (const t of texts) h.update(t).update("\0");
  return h.digest("hex");
}

/** The file in the step cache naming the YAML texts of the last run stored in the whole-run cache. */
const lastRunFile = (cacheDir) => join(cacheDir, "yaml-worker-last-run.txt");

/**
 * After a run stored in the whole-run cache: remembers its YAML texts, so that the next start
 * with the same texts (most likely answered from that cache, which needs no positions) does
 * not start the worker early. A miss then only starts it later, as the loaders do.
 */
export function rememberCachedRun({ root, cacheDir }) {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${lastRunFile(cacheDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, textsHash(specYamlTexts(root)));
    renameSync(tmp, lastRunFile(cacheDir));
  } catch {
    // only slower
  }
}

/**
 * launch.mjs: starts the worker and sends it `<root>/asyncapi.yaml` and every `<root>/fmea/*.yaml`
 * to index; the loaders' requests for the same texts then wait for these. Not when the texts
 * are those of the last run kept in the whole-run cache (`cacheDir`; see {@link rememberCachedRun}).
 * Never throws (the loaders start the worker themselves).
 */
export function startEarlyYamlWorker({ root, core, cacheDir }) {
  try {
    const texts = specYamlTexts(root);
    if (texts.length === 0) return;
    if (cacheDir) {
      let last;
      try {
        last = readFileSync(lastRunFile(cacheDir), "utf8");
      } catch {
        last = undefined;
      }
      if (last === textsHash(texts)) return;
    }
    const pool = yamlWorker(core);
    if (!pool) return;
    for (const text of texts)
      if (!pool.posted.has(text)) pool.posted.set(text, post(pool, { text }));
  } catch {
    // the loaders start the worker themselves
  }
}
