import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import type { BufBuildRecord } from "../load/buf-build.mjs";
import { MANIFEST } from "./manifest.js";

/**
 * What the last successful run recorded in `generated/manifest.json` about its slow steps,
 * so that a fresh clone (whose node_modules/.cache is empty) does not redo them for inputs that
 * have not changed. Each record is keyed by a hash of everything the step reads, tool version
 * included; a record that does not match is ignored and the step runs. `--no-cache` ignores them.
 */
export interface RunRecords {
  /** The official AsyncAPI parser's verdict on asyncapi.yaml. */
  readonly asyncapi?: { readonly key: string; readonly diagnostics: Diagnostic[] };
  /**
   * ts-proto's input key (protoc/ts-proto.ts) when the files holding its output were recorded
   * in `formatted` by the emitted text around it plus this key (format.ts `keyTexts`), so a run
   * with the same key can take them from disk without running ts-proto.
   */
  readonly tsProto?: { readonly key: string };
  /**
   * `buf build` of the spec's own protos (`--exclude-imports`): its input key and output
   * (load/buf-build.mjs), which launch.mjs's early build answers from when the key matches.
   */
  readonly buf?: BufBuildRecord;
  /**
   * Per formatted file: `in` hashes the unformatted text with prettier's version and
   * configuration, `out` hashes the formatted text that was written. A file on disk whose hash
   * is `out` is the formatted form of any emitter output whose key is `in`.
   */
  readonly formatted: Readonly<Record<string, { readonly in: string; readonly out: string }>>;
}

export const NO_RECORDS: RunRecords = { formatted: {} };

/** A short content hash (128 bits, hex) for records. */
export function recordHash(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
}

/** Reads the records of the manifest in `outDir` (none when it is missing or unreadable). */
export function readRecords(outDir: string): RunRecords {
  try {
    const m = JSON.parse(readFileSync(join(outDir, MANIFEST), "utf8")) as {
      records?: Partial<RunRecords>;
    };
    const r = m.records;
    if (!r || typeof r !== "object") return NO_RECORDS;
    return {
      asyncapi:
        r.asyncapi && typeof r.asyncapi.key === "string" && Array.isArray(r.asyncapi.diagnostics)
          ? r.asyncapi
          : undefined,
      tsProto: r.tsProto && typeof r.tsProto.key === "string" ? { key: r.tsProto.key } : undefined,
      buf: r.buf && typeof r.buf.key === "string" ? r.buf : undefined,
      formatted: r.formatted && typeof r.formatted === "object" ? r.formatted : {},
    };
  } catch {
    return NO_RECORDS;
  }
}
