import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { printProtoFile } from "./protovalidate-source.js";

/** The import path of protovalidate's rule definitions. */
export const PROTOVALIDATE_IMPORT = "buf/validate/validate.proto";

/** Name of the workspace module that holds the materialised protovalidate proto. */
const MODULE_DIR = "protovalidate";

/** True for proto files that come from a library (google/..., buf/validate/...), not from the spec. */
export function isLibraryProto(name: string): boolean {
  return name.startsWith("google/") || name.startsWith("buf/validate/");
}

const require = createRequire(import.meta.url);

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

/** A temporary buf workspace: `proto/` (the spec's, symlinked) + the protovalidate module. */
export interface BufWorkspace {
  /** The workspace directory; run buf here with `proto` as the input. */
  readonly dir: string;
  /** Removes the workspace (the spec's files are untouched). */
  dispose(): void;
}

/**
 * Creates a buf v2 workspace in a temp directory whose module `proto` mirrors `<protoDir>`
 * (symlinks) and whose second module provides `buf/validate/validate.proto` (see
 * {@link materialiseProtovalidate}). buf resolves the import offline, and file names in its
 * messages stay `proto/<path>`, as in the spec. `config` adds top-level buf.yaml keys (lint,
 * breaking) in JSON form, which is valid YAML.
 */
export function bufWorkspace(protoDir: string, config: Record<string, unknown> = {}): BufWorkspace {
  const library = materialiseProtovalidate();
  const dir = mkdtempSync(join(tmpdir(), "v2c-buf-"));
  // proto/ is mirrored entry by entry (symlinks) without its own buf.yaml/buf.work.yaml/buf.lock,
  // which would otherwise make buf treat it as a workspace of its own and lose the import.
  const mirror = join(dir, "proto");
  mkdirSync(mirror);
  let entries: string[] = [];
  try {
    entries = readdirSync(protoDir);
  } catch {
    entries = []; // no proto/: buf reports the empty module
  }
  for (const entry of entries) {
    if (/^buf(\.work)?\.(yaml|lock)$/.test(entry)) continue;
    symlinkSync(resolve(protoDir, entry), join(mirror, entry));
  }
  symlinkSync(library, join(dir, MODULE_DIR), "dir");
  const yaml = {
    version: "v2",
    modules: [{ path: "proto" }, { path: MODULE_DIR }],
    ...config,
  };
  writeFileSync(join(dir, "buf.yaml"), `${JSON.stringify(yaml, null, 2)}\n`);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
