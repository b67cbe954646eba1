import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import {
  makeBufWorkspace,
  prebuiltProtovalidate,
  prebuiltProtovalidateDir,
  protovalidateStamp,
  type BufWorkspace,
} from "./buf-build.mjs";
import { printProtoFile } from "./protovalidate-source.js";

/** The import path of protovalidate's rule definitions. */
export const PROTOVALIDATE_IMPORT = "buf/validate/validate.proto";

/** True for proto files that come from a library (google/..., buf/validate/...), not from the spec. */
export function isLibraryProto(name: string): boolean {
  return name.startsWith("google/") || name.startsWith("buf/validate/");
}

const require = createRequire(import.meta.url);
const TOOL_ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * The import root that provides `buf/validate/validate.proto`: the setup-time build's copy
 * (generator/dist, see {@link prebuildProtovalidate}) while its stamp is current, else the one
 * {@link materialiseProtovalidate} writes.
 */
export function protovalidateImportRoot(): string {
  return prebuiltProtovalidate(TOOL_ROOT) ?? materialiseProtovalidate();
}

/**
 * Setup time (`launch.mjs --build`): `buf/validate/validate.proto` printed into the prebuilt
 * folder with its stamp, so that a run (and launch.mjs's early buf start) needs no printing.
 */
export function prebuildProtovalidate(): string {
  const dir = prebuiltProtovalidateDir(TOOL_ROOT);
  const file = join(dir, PROTOVALIDATE_IMPORT);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, printProtoFile(file_buf_validate_validate.proto));
  writeFileSync(`${dir}.json`, JSON.stringify({ stamp: protovalidateStamp(TOOL_ROOT) }));
  return dir;
}

/**
 * Writes `buf/validate/validate.proto`, printed from the file descriptor that the installed
 * `@bufbuild/protovalidate` npm package embeds, under `node_modules/.cache/v2c-protovalidate/`
 * and returns that directory (an import root). Nothing is downloaded and nothing is copied
 * into the repository; the file is rewritten only when its text changes (atomic rename, so
 * concurrent runs never see half a file).
 */
export function materialiseProtovalidate(): string {
  // The package exports no package.json; its entry point lies under <node_modules>/@bufbuild/.
  const entry = require.resolve("@bufbuild/protovalidate");
  const nodeModules = entry.slice(0, entry.lastIndexOf(`${sep}@bufbuild${sep}`));
  const root = join(nodeModules, ".cache", "v2c-protovalidate");
  const file = join(root, PROTOVALIDATE_IMPORT);
  const text = printProtoFile(file_buf_validate_validate.proto);
  let current: string | undefined;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== text) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return root;
}

export type { BufWorkspace } from "./buf-build.mjs";

/**
 * Creates a buf v2 workspace in a temp directory whose module `proto` mirrors `<protoDir>`
 * (symlinks) and whose second module provides `buf/validate/validate.proto` (see
 * {@link protovalidateImportRoot}). buf resolves the import offline, and file names in its
 * messages stay `proto/<path>`, as in the spec. `config` adds top-level buf.yaml keys (lint,
 * breaking) in JSON form, which is valid YAML.
 */
export function bufWorkspace(protoDir: string, config: Record<string, unknown> = {}): BufWorkspace {
  return makeBufWorkspace(protoDir, protovalidateImportRoot(), config);
}
