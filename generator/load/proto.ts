import { spawn } from "node:child_process";
import { resolve } from "node:path";
import {
  createFileRegistry,
  fromBinary,
  getOption,
  hasOption,
  type DescExtension,
  type DescField,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import {
  FileDescriptorSetSchema,
  type FileDescriptorProto,
  type FileDescriptorSet,
} from "@bufbuild/protobuf/wkt";
import { NO_POSITION, type DiagnosticBag, type Position } from "../diagnostics.js";
import { libraryFile } from "./proto-library.js";
import { bufBinaryPath, startBufBuild, takeEarlyBufBuild } from "./buf-build.mjs";
import { protovalidateImportRoot } from "./protovalidate.js";

/** The compiled `proto/` tree: descriptors with source info, plus a registry to query them. */
export interface LoadedProto {
  readonly set: FileDescriptorSet;
  readonly registry: FileRegistry;
  /** Raw bytes of the descriptor set; its hash keys the ts-proto cache. */
  readonly bytes: Uint8Array;
  /** Position of a message or field declaration in its `.proto` file. */
  locate(desc: DescMessage | DescField): { file: string; pos: Position };
}

const TOOL_ROOT = resolve(import.meta.dirname, "..", "..");

/** Path of the `buf` binary shipped inside the @bufbuild/buf npm package (no download). */
export function bufBinary(): string {
  return bufBinaryPath(TOOL_ROOT);
}

/**
 * Compiles `proto/` with buf into a FileDescriptorSet including source info. Compiler errors
 * (`proto/x.proto:12:3:message`) become diagnostics with their positions.
 *
 * buf is asked for the spec's own files only (`--exclude-imports`): the library files they
 * import (protovalidate's rules, the well-known types) come from the descriptors the npm
 * packages embed (proto-library.ts), so that their source info — six times the size of the
 * spec's — is never decoded. An import no package embeds makes buf compile the imports too.
 */
export async function loadProto(
  root: string,
  bag: DiagnosticBag,
  cacheDir?: string,
): Promise<LoadedProto | undefined> {
  // A temp workspace resolves `buf/validate/validate.proto` from the npm package, offline.
  // The first build is usually running already: launch.mjs starts it (load/buf-build.mjs).
  const build = (extra: string[]) =>
    startBufBuild({
      toolRoot: TOOL_ROOT,
      root,
      library: protovalidateImportRoot(),
      extra,
      cacheDir,
    }).result;
  let set: FileDescriptorSet | undefined;
  let out = await (takeEarlyBufBuild(root) ?? build(["--exclude-imports"]));
  if (out.code === 0) set = withLibraries(fromBinary(FileDescriptorSetSchema, out.stdout));
  if (out.code === 0 && !set) {
    out = await build([]);
    if (out.code === 0) set = fromBinary(FileDescriptorSetSchema, out.stdout);
  }
  const { code, stdout, stderr } = out;
  if (code !== 0 || !set) {
    let reported = false;
    for (const line of stderr.split("\n")) {
      const m = /^(.+?\.proto):(\d+):(\d+):\s*(.*)$/.exec(line.trim());
      if (m) {
        bag.error(m[1]!, { line: Number(m[2]), column: Number(m[3]) }, "proto/compile", m[4]!);
        reported = true;
      }
    }
    if (!reported)
      bag.error("proto", NO_POSITION, "proto/compile", stderr.trim() || `buf exited with ${code}`);
    return undefined;
  }
  const registry = createFileRegistry(set);
  return { set, registry, bytes: stdout, locate: (desc) => locateDesc(desc) };
}

/**
 * The spec's files preceded by every library file they import (directly or not), each after its
 * own imports, as buf orders a full build; undefined when an import is neither a spec file nor
 * a library file an npm package embeds.
 */
function withLibraries(own: FileDescriptorSet): FileDescriptorSet | undefined {
  const present = new Set(own.file.map((f) => f.name));
  const libraries: FileDescriptorProto[] = [];
  const added = new Set<string>();
  const add = (name: string): boolean => {
    if (present.has(name) || added.has(name)) return true;
    const file = libraryFile(name);
    if (!file) return false;
    added.add(name);
    if (!file.dependency.every(add)) return false;
    libraries.push(file);
    return true;
  };
  for (const f of own.file) if (!f.dependency.every(add)) return undefined;
  own.file = [...libraries, ...own.file];
  return own;
}

function locateDesc(desc: DescMessage | DescField): { file: string; pos: Position } {
  const file = desc.kind === "message" ? desc.file : desc.parent.file;
  const path = sourcePath(desc);
  const loc = file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((v, i) => v === path[i]),
  );
  const span = loc?.span;
  const pos = span && span.length >= 2 ? { line: span[0]! + 1, column: span[1]! + 1 } : NO_POSITION;
  return { file: `proto/${file.proto.name}`, pos };
}

/** The SourceCodeInfo path of a message (4, i, 3, j, ...) or field (..., 2, k). */
export function sourcePath(desc: DescMessage | DescField): number[] {
  if (desc.kind === "field")
    return [...sourcePath(desc.parent), 2, desc.parent.fields.indexOf(desc)];
  if (desc.parent) return [...sourcePath(desc.parent), 3, desc.parent.nestedMessages.indexOf(desc)];
  return [4, desc.file.messages.indexOf(desc)];
}

/** Reads a message's `(v2c.options.v1.message)` option, if any. */
export function messageConstraints(
  proto: LoadedProto,
  message: DescMessage,
): { schemaVersion: number; minSupportedSchemaVersion: number } | undefined {
  const ext = proto.registry.getExtension("v2c.options.v1.message") as DescExtension | undefined;
  if (!ext || !hasOption(message as never, ext as never)) return undefined;
  const value = getOption(message as never, ext as never) as Record<string, unknown>;
  // Declared uint32 in v2c/options; a copy that widened them to a 64-bit type reads as bigint.
  return {
    schemaVersion: Number(value.schemaVersion ?? 0),
    minSupportedSchemaVersion: Number(value.minSupportedSchemaVersion ?? 0),
  };
}

/** Runs a command to completion, collecting stdout as bytes and stderr as text. */
export function run(
  cmd: string,
  args: string[],
  cwd: string,
  input?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: new Uint8Array(Buffer.concat(out)),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(input ? Buffer.from(input) : undefined);
  });
}
