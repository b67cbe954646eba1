import { resolve } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  CodeGeneratorResponseSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { StepCache } from "../cache.js";
import { run, type LoadedProto } from "../load/proto.js";
import { isLibraryProto } from "../load/protovalidate.js";
import { packageVersion } from "../package-version.js";
import { runTsProtoInWorker, type PluginFile } from "./ts-proto-plugin.js";

/** ts-proto options: ESM with `.js` import suffixes, numbers for 64-bit fields (timestamps fit in 2^53), typed oneofs. */
export const TS_PROTO_PARAMETER = [
  "esModuleInterop=true",
  "importSuffix=.js",
  "forceLong=number",
  "oneof=unions-value",
  "outputServices=false",
  "env=node",
  "useDate=false",
].join(",");

/** How the generator runs ts-proto (part of its step-cache key). */
const TS_PROTO_RUNNER_OPTIONS = { dprint: false } as const;
const TS_PROTO_RUNNER = `in-process:${JSON.stringify(TS_PROTO_RUNNER_OPTIONS)}`;

/** The proto files that hold payloads (the options file only annotates them). */
const isPayloadFile = (name: string): boolean =>
  !isLibraryProto(name) && !name.startsWith("v2c/options/");

/** ts-proto's output being computed: the file names it will have, and the texts. */
export interface TsProtoRun {
  /** Output names (proto path without extension) of the files ts-proto is asked to generate. */
  readonly names: readonly string[];
  /** Hash of everything ts-proto's output depends on: its version, how it runs, the request. */
  readonly key: string;
  /**
   * True when ts-proto was not started because the output folder's records say its files are
   * on disk for this key (pipeline-run.ts reads them there); {@link texts} starts it.
   */
  readonly deferred: boolean;
  /** TypeScript text by output name (starts ts-proto when it was deferred). */
  texts(): Promise<Map<string, string>>;
  /** Stops the work when its result is no longer wanted (`texts` then rejects). */
  cancel(): void;
}

/**
 * Starts ts-proto (its protoc plugin, in a worker thread) on the payload files. The option
 * import is removed from the request first: the constraints are read by our generator, and
 * without it ts-proto would also emit 270 KB of descriptor.proto types nobody uses.
 * Cached by request bytes; on a miss the caller's thread goes on while ts-proto runs. When
 * `recordedKey` (the key the output folder's manifest records) is this run's key, it is not
 * started at all ({@link TsProtoRun.deferred}): the files it feeds are most likely on disk.
 */
export function startTsProto(
  proto: LoadedProto,
  cache: StepCache,
  recordedKey?: string,
): TsProtoRun {
  const bytes = tsProtoRequest(proto);
  const names = proto.set.file
    .filter((f) => isPayloadFile(f.name))
    .map((f) => f.name.replace(/\.proto$/, ""))
    .sort((a, b) => a.localeCompare(b));
  const version = packageVersion("ts-proto");
  // The runner and its options are part of the answer: a cache entry from another way of
  // running ts-proto (e.g. the child process, which formats with dprint) must not be reused.
  const key = StepCache.key("ts-proto", version, TS_PROTO_RUNNER, bytes);
  const cached = cache.get<[string, string][]>("ts-proto", key);
  if (cached) {
    const texts = Promise.resolve(new Map(cached));
    return { names, key, deferred: false, texts: () => texts, cancel: () => undefined };
  }
  const abort = new AbortController();
  let texts: Promise<Map<string, string>> | undefined;
  const start = () => {
    texts = runTsProtoInWorker(bytes, TS_PROTO_RUNNER_OPTIONS, abort.signal).then((files) => {
      const out = files
        .map(
          (f) => [f.name.replace(/\.ts$/, ""), stripVersionHeader(f.content)] as [string, string],
        )
        .sort((a, b) => a[0].localeCompare(b[0]));
      cache.set("ts-proto", key, out);
      return new Map(out);
    });
    texts.catch(() => undefined); // awaited by the caller, or cancelled
    return texts;
  };
  const deferred = recordedKey === key;
  if (!deferred) start();
  return { names, key, deferred, texts: () => texts ?? start(), cancel: () => abort.abort() };
}

/** ts-proto's output for the payload files: TypeScript text by proto path without extension. */
export async function runTsProto(
  proto: LoadedProto,
  cache: StepCache,
): Promise<Map<string, string>> {
  return startTsProto(proto, cache).texts();
}

/**
 * Runs ts-proto as protoc would: its plugin script as a child process, the request on stdin.
 * The generator runs the plugin in process (`runTsProtoInProcess`); this is the reference a test
 * compares it with.
 */
export async function runTsProtoChild(bytes: Uint8Array): Promise<PluginFile[]> {
  const plugin = resolve(
    import.meta.dirname,
    "..",
    "..",
    "node_modules",
    "ts-proto",
    "protoc-gen-ts_proto",
  );
  const { code, stdout, stderr } = await run(process.execPath, [plugin], process.cwd(), bytes);
  if (code !== 0) throw new Error(`ts-proto failed: ${stderr}`);
  const response = fromBinary(CodeGeneratorResponseSchema, stdout);
  if (response.error) throw new Error(`ts-proto failed: ${response.error}`);
  return response.file.map((f) => ({ name: f.name, content: f.content }));
}

/** The serialized CodeGeneratorRequest for the payload files (exported for the equivalence test). */
export function tsProtoRequest(proto: LoadedProto): Uint8Array {
  const files = proto.set.file
    .filter((f) => isPayloadFile(f.name))
    .map((f) => {
      const copy = create(FileDescriptorSetSchema, { file: [f] }).file[0]!;
      copy.dependency = copy.dependency.filter(isPayloadFile);
      return copy;
    });
  return toBinary(
    CodeGeneratorRequestSchema,
    create(CodeGeneratorRequestSchema, {
      fileToGenerate: files.map((f) => f.name),
      parameter: TS_PROTO_PARAMETER,
      protoFile: files,
    }),
  );
}

/** Drops ts-proto's banner (it names tool versions; our header names the sources instead). */
function stripVersionHeader(text: string): string {
  return text.replace(
    /^\/\/ Code generated by protoc-gen-ts_proto\. DO NOT EDIT\.\n(\/\/ .*\n)*/,
    "",
  );
}
