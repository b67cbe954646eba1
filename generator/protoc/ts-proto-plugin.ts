import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** One generated file, as protoc's CodeGeneratorResponse would carry it. */
export interface PluginFile {
  readonly name: string;
  readonly content: string;
}

/** How ts-proto runs: `dprint: false` skips ts-poet's formatter (the generator formats with prettier). */
export interface TsProtoRunOptions {
  readonly dprint?: boolean;
}

/** The plugin's steps, as plain JavaScript (see ts-proto-core.mjs). */
const CORE = pathToFileURL(join(import.meta.dirname, "ts-proto-core.mjs")).href;

interface Core {
  generate(request: Uint8Array, dprint: boolean): Promise<PluginFile[]>;
}

/**
 * Runs ts-proto's protoc plugin in this process on a serialized CodeGeneratorRequest: the same
 * steps as `protoc-gen-ts_proto` without a child process. A test compares the result with the
 * plugin run as a child process, so a ts-proto upgrade that changes these steps fails there.
 * With `dprint: false` the text is not run through ts-poet's formatter (the generator formats
 * it with prettier); the equivalence test runs it with dprint.
 */
export async function runTsProtoInProcess(
  request: Uint8Array,
  options: TsProtoRunOptions = {},
): Promise<PluginFile[]> {
  const core = (await import(CORE)) as Core;
  return core.generate(request, options.dprint !== false);
}

/** The worker: loads the core, runs it, posts the files (or the error) back. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.core).then((core) => core.generate(workerData.request, workerData.dprint)).then(
  (files) => parentPort.postMessage({ files }),
  (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }),
);`;

/**
 * {@link runTsProtoInProcess} in a worker thread: the same code and result, while this thread
 * goes on (loading ts-proto and generating take ~0.3 s of CPU, a second core's work). An aborted
 * `signal` stops the worker (the promise then rejects).
 */
export function runTsProtoInWorker(
  request: Uint8Array,
  options: TsProtoRunOptions = {},
  signal?: AbortSignal,
): Promise<PluginFile[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { core: CORE, request, dprint: options.dprint !== false },
    });
    signal?.addEventListener("abort", () => void worker.terminate(), { once: true });
    worker.once("message", (m: { files?: PluginFile[]; error?: string }) => {
      void worker.terminate();
      if (m.files) resolve(m.files);
      else reject(new Error(`ts-proto failed: ${m.error}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`ts-proto worker exited with ${code}`)));
  });
}
