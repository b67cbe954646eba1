// Types of buf-build.mjs (plain JavaScript, loaded by generator/launch.mjs before any compiled code).

/** What a `buf build` gave: its exit code, the FileDescriptorSet bytes and its messages. */
export interface BufBuildResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
  /** Hash of everything the build reads (when it could be computed). */
  readonly key?: string | undefined;
  /** Where the answer came from: buf itself, the step cache or the output folder's records. */
  readonly source?: "buf" | "cache" | "records";
}

/** A build's output as the manifest records it (base64 bytes and their SHA-256). */
export interface BufBuildRecord {
  readonly key: string;
  readonly sha256: string;
  readonly descriptorSet: string;
}

/** A build being run (or answered from the cache). */
export interface BufBuildRun {
  readonly result: Promise<BufBuildResult>;
  /** Keeps the process alive until the build ends (a started build does not by itself). */
  ref(): void;
  /** Stops the build and removes its workspace. */
  cancel(): void;
}

/** A temporary buf workspace: `proto/` (the spec's, symlinked) + the protovalidate module. */
export interface BufWorkspace {
  readonly dir: string;
  dispose(): void;
}

export const BUF_BUILD_ARGS: readonly string[];
export function prebuiltProtovalidateDir(toolRoot: string): string;
export function protovalidateStamp(toolRoot: string): string;
export function prebuiltProtovalidate(toolRoot: string): string | undefined;
export function bufBinaryPath(toolRoot: string): string;
export function makeBufWorkspace(
  protoDir: string,
  library: string,
  config?: Record<string, unknown>,
): BufWorkspace;
export function startBufBuild(options: {
  toolRoot: string;
  root: string;
  library: string;
  extra?: readonly string[];
  cacheDir?: string | undefined;
  /** Output folder whose manifest's records may hold this build (records.buf). */
  recordsDir?: string | undefined;
  /** The child does not keep the process alive until `ref()` (an early start). */
  background?: boolean;
}): BufBuildRun;
export function startEarlyBufBuild(options: {
  toolRoot: string;
  root: string;
  cacheDir?: string | undefined;
  recordsDir?: string | undefined;
}): void;
export function bufBuildKey(
  toolRoot: string,
  root: string,
  library: string,
  extra?: readonly string[],
): string;
export function recordedBuild(outDir: string, key: string): Uint8Array | undefined;
export function buildRecord(key: string, bytes: Uint8Array): BufBuildRecord;
export function takeEarlyBufBuild(root: string): Promise<BufBuildResult> | undefined;
