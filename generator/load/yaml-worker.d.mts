// Types of yaml-worker.mjs (plain JavaScript, loaded by generator/launch.mjs before any compiled code).

/** The process's YAML worker: its port, reply count, request ids, replies taken, texts posted. */
export interface YamlWorkerPool {
  readonly port: import("node:worker_threads").MessagePort;
  readonly count: Int32Array;
  next: number;
  readonly replies: Map<number, unknown>;
  readonly posted: Map<string, number>;
}

export function stopYamlWorker(): void;
export function yamlWorker(core: string): YamlWorkerPool | null;
export function post(pool: YamlWorkerPool, message: { text: string; bundle?: unknown }): number;
export function replyTo(pool: YamlWorkerPool, id: number): unknown;
export function startEarlyYamlWorker(options: {
  root: string;
  core: string;
  cacheDir?: string | undefined;
}): void;
export function rememberCachedRun(options: { root: string; cacheDir: string }): void;
