import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StepCache } from "../cache.js";
import type { GeneratedFile } from "../emit/types.js";
import { rendersFormatted } from "../emit/templates.js";
import { packageVersion } from "../package-version.js";
import { mark } from "../pipeline-timing.js";
import { NO_RECORDS, recordHash, type RunRecords } from "./records.js";

const FORMATTED = /\.(ts|json|md|ya?ml)$/;

/** Where formatFiles may find text it formatted before. */
export interface FormatSources {
  /** Persistent per-content cache (node_modules/.cache; empty on a fresh clone). */
  readonly cache?: StepCache;
  /** Records of the previous run and the output folder they describe (committed with it). */
  readonly records?: RunRecords;
  readonly outDir?: string;
  /**
   * Per path, the text that keys the file instead of its content, when that text determines the
   * content (pipeline-run.ts: a file holding ts-proto output is keyed by the emitted text around
   * the output plus ts-proto's input key, so that a later run can find it without the output).
   */
  readonly keyTexts?: ReadonlyMap<string, string>;
}

/** Formatted files plus the records to write into the manifest. */
export interface Formatted {
  readonly files: GeneratedFile[];
  readonly formatted: RunRecords["formatted"];
}

/**
 * Formats generated files in memory with the repository's prettier configuration, so that
 * `generate` and `--check` compare exactly the bytes that would be written.
 *
 * Prettier is the slowest step of a run (about 3 s to load and format ~90 files), so it is
 * skipped where the answer is already known, and only imported when some file needs it:
 * 1. text rendered by a template that declares `{{!-- prettier-formatted --}}` is already
 *    formatted (test/generate-formatted.test.ts holds every such template to it);
 * 2. a file whose unformatted text has the same hash as the one recorded in the output folder's
 *    manifest, and whose file on disk still has the recorded formatted hash, is that file;
 * 3. the per-content cache in node_modules/.cache.
 */
export async function formatFiles(
  files: readonly GeneratedFile[],
  toolRoot: string,
  sources: FormatSources = {},
): Promise<Formatted> {
  const cache = sources.cache ?? new StepCache(undefined);
  const records = sources.records ?? NO_RECORDS;
  const version = packageVersion("prettier");
  // Imported at most once, and only when some file is not known to be formatted.
  let loading: Promise<{ prettier: typeof import("prettier"); config: object }> | undefined;
  const load = () =>
    (loading ??= (async () => {
      mark("prettier needed");
      const prettier = await import("prettier");
      const config = (await prettier.resolveConfig(join(toolRoot, "package.json"))) ?? {};
      return { prettier, config };
    })());
  const configText = readConfigText(toolRoot);
  const formatted: Record<string, { in: string; out: string }> = {};
  const out = await Promise.all(
    files.map(async (f) => {
      if (!FORMATTED.test(f.path) || rendersFormatted(f.content)) return f;
      const inKey = formatKey(
        version,
        configText,
        f.path,
        sources.keyTexts?.get(f.path) ?? f.content,
      );
      let content =
        fromRecord(f.path, inKey, records, sources.outDir) ?? cache.get<string>("format", inKey);
      if (content === undefined) {
        const { prettier, config } = await load();
        content = await formatWith(prettier, f, config);
        cache.set("format", inKey, content);
      }
      formatted[f.path] = { in: inKey, out: recordHash(content) };
      return { ...f, content };
    }),
  );
  return { files: out, formatted };
}

/** A file's record key: prettier's version and configuration, the path and the text keying it. */
function formatKey(version: string, configText: string, path: string, text: string): string {
  return recordHash("prettier", version, configText, path, text);
}

/**
 * The formatted file on disk that the output folder's records vouch for, as {@link formatFiles}
 * would take it for a file keyed by `keyText` (see {@link FormatSources.keyTexts}); undefined
 * when there is no such record or the file on disk is not the recorded one.
 */
export function recordedFormatted(
  path: string,
  keyText: string,
  toolRoot: string,
  sources: FormatSources,
): string | undefined {
  if (!FORMATTED.test(path)) return undefined;
  const inKey = formatKey(packageVersion("prettier"), readConfigText(toolRoot), path, keyText);
  return fromRecord(path, inKey, sources.records ?? NO_RECORDS, sources.outDir);
}

async function formatWith(
  prettier: typeof import("prettier"),
  f: GeneratedFile,
  config: object,
): Promise<string> {
  try {
    return await prettier.format(f.content, { ...config, filepath: f.path });
  } catch (e) {
    throw new Error(
      `generated ${f.path} does not format (an emitter bug): ${(e as Error).message}`,
    );
  }
}

/** The file on disk, if the records say it is the formatted form of this exact input. */
function fromRecord(
  path: string,
  inKey: string,
  records: RunRecords,
  outDir: string | undefined,
): string | undefined {
  const rec = records.formatted[path];
  if (!outDir || !rec || rec.in !== inKey) return undefined;
  try {
    const disk = readFileSync(join(outDir, path), "utf8");
    return recordHash(disk) === rec.out ? disk : undefined;
  } catch {
    return undefined;
  }
}

/** The prettier configuration's text (the toolchain's `.prettierrc.json`), part of the cache key. */
function readConfigText(toolRoot: string): string {
  try {
    return readFileSync(join(toolRoot, ".prettierrc.json"), "utf8");
  } catch {
    return "";
  }
}
