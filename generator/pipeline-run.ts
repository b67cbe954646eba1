import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { StepCache } from "./cache.js";
import { setCompiledCacheDir } from "./compiled/store.js";
import { DiagnosticBag } from "./diagnostics.js";
import { computeCoverage } from "./emit/coverage.js";
import { emitAll } from "./emit/index.js";
import {
  officialParserKey,
  readAsyncApi,
  validateWithOfficialParser,
  type LoadedAsyncApi,
} from "./load/asyncapi.js";
import { loadFmea, type LoadedFmea } from "./load/fmea.js";
import { loadProto, type LoadedProto } from "./load/proto.js";
import { isLibraryProto, protovalidateImportRoot } from "./load/protovalidate.js";
import { bufBuildKey, buildRecord } from "./load/buf-build.mjs";
import { checkSchemaEvolution } from "./load/schema-snapshot.js";
import { buildModel } from "./model/build.js";
import type { GeneratorOptions } from "./options.js";
import type { GenerationResult } from "./pipeline.js";
import { mark } from "./pipeline-timing.js";
import type { GeneratedFile } from "./emit/types.js";
import type { Model } from "./model/types.js";
import { formatFiles, recordedFormatted, type FormatSources } from "./output/format.js";
import { withManifest } from "./output/manifest.js";
import { NO_RECORDS, readRecords } from "./output/records.js";
import { startTsProto, type TsProtoRun } from "./protoc/ts-proto.js";
import {
  BUNDLED_PLACEHOLDER,
  fillBundledAsyncApi,
  fillProtoTs,
  PROTO_TS_MARK,
  protoTsPlaceholders,
} from "./emit/deferred-proto.js";
import { startBundleAsyncApi } from "./emit/docs/asyncapi-bundle.js";
import { packageVersion } from "./package-version.js";

/** The toolchain's root (buf and protovalidate are found from it). */
const TOOL_ROOT = resolve(import.meta.dirname, "..");

/**
 * load -> validate -> model -> emit -> format, without the whole-run cache. Pure with respect to the output folder: it
 * reads the spec sources and returns a map of files; writing and checking are the caller's.
 * On any error (or any warning with `strict`) it returns no files at all.
 */
export async function generateUncached(options: GeneratorOptions): Promise<GenerationResult> {
  mark("start");
  setCompiledCacheDir(options.cacheDir);
  const bag = new DiagnosticBag();
  const cache = new StepCache(options.cacheDir);
  const asyncapi = readAsyncApi(options.root, bag);
  // The official AsyncAPI parser (1-3 s of CPU) runs in a worker thread from here on; everything
  // below runs meanwhile, and its verdict is awaited before anything is returned.
  // Records of the last run (in the output folder's manifest): used only when caching is on.
  const records = options.cacheDir ? readRecords(options.out) : NO_RECORDS;
  const official = asyncapi?.doc
    ? validateWithOfficialParser(options.root, asyncapi.text, cache, records.asyncapi)
    : Promise.resolve([]);
  official.catch(() => undefined); // awaited below; avoids an unhandled rejection meanwhile
  const [proto, fmea] = await Promise.all([
    loadProto(options.root, bag, options.cacheDir),
    loadFmea(options.root, bag, cache),
  ]);
  mark("proto, fmea loaded");
  if (!asyncapi || !proto || bag.hasErrors) {
    bag.addAll(await official);
    return { ok: false, files: [], diagnostics: bag.sorted() };
  }
  // ts-proto (a worker thread on a cache miss) starts now and runs beside everything below,
  // unless the output folder's records say the files it feeds are on disk for its input.
  const tsProto = startTsProto(proto, cache, records.tsProto?.key);
  const failed = (): GenerationResult => {
    tsProto.cancel();
    return { ok: false, files: [], diagnostics: bag.sorted() };
  };
  // Built speculatively while the parser still runs. If the parser finds errors, this work (its
  // diagnostics and even its exceptions) is discarded, exactly as if the model had never been
  // built on a document the specification rejects.
  const ahead = new DiagnosticBag();
  const formatSources = { cache, records, outDir: options.out };
  const speculative = emitFromModel(options, asyncapi, proto, tsProto, fmea, ahead, formatSources);
  speculative.catch(() => undefined);
  const officialDiagnostics = await official;
  mark("official parser done");
  bag.addAll(officialDiagnostics);
  if (bag.hasErrors) return failed();
  const emitted = await speculative;
  bag.addAll(ahead.sorted());
  if (!emitted || bag.hasErrors) return failed();
  const { model, files, keyTexts } = emitted;
  if (options.strict) {
    for (const c of computeCoverage(model, files)) {
      if (c.missing.length === 0) continue;
      const at = c.failureMode.location;
      bag.error(
        at.file,
        at,
        "coverage/incomplete",
        `${c.failureMode.id} ${c.failureMode.name}: no generated ${c.missing.join(", ")} (see generated/docs/traceability.md)`,
      );
    }
    if (bag.hasErrors) return failed();
  }
  const formatted = await formatFiles(files, resolve(options.templates, ".."), {
    ...formatSources,
    keyTexts,
  });
  mark("formatted");
  const written = withManifest(formatted.files, {
    asyncapi: { key: officialParserKey(asyncapi.text), diagnostics: officialDiagnostics },
    buf: buildRecord(
      bufBuildKey(TOOL_ROOT, options.root, protovalidateImportRoot(), ["--exclude-imports"]),
      proto.bytes,
    ),
    tsProto: keyTexts.size > 0 ? { key: tsProto.key } : undefined,
    formatted: formatted.formatted,
  });
  return { ok: true, files: written, diagnostics: bag.sorted(), model };
}

interface Emitted {
  readonly model: Model;
  readonly files: GeneratedFile[];
  /** The files holding ts-proto output, keyed by their emitted text and ts-proto's key (format.ts). */
  readonly keyTexts: ReadonlyMap<string, string>;
}

/**
 * model -> emitters, with ts-proto's output put in when it arrives (the emitters run meanwhile).
 * Undefined when the model has errors (they are in `bag`).
 */
async function emitFromModel(
  options: GeneratorOptions,
  asyncapi: LoadedAsyncApi,
  proto: LoadedProto,
  tsProto: TsProtoRun,
  fmea: LoadedFmea | undefined,
  bag: DiagnosticBag,
  formatSources: FormatSources,
): Promise<Emitted | undefined> {
  const model = buildModel(asyncapi, proto, fmea, bag);
  mark("model built");
  if (!model || bag.hasErrors) return undefined;
  const protoSources = new Map(
    proto.set.file
      .filter((f) => !isLibraryProto(f.name))
      .map(
        (f) =>
          [`proto/${f.name}`, readFileSync(join(options.root, "proto", f.name), "utf8")] as const,
      ),
  );
  const versions = {
    bufbuildProtobuf: packageVersion("@bufbuild/protobuf"),
    runtime: packageVersion("@v2c/runtime"),
  };
  // The bundled contract's YAML is edited and printed in the YAML worker (which parsed the
  // contract already) while the emitters run here with a placeholder in its place.
  const bundled = startBundleAsyncApi(asyncapi.text, model, protoSources);
  const emit = (protoTs: ReadonlyMap<string, string>, bundledAsyncApi?: string) =>
    emitAll(
      { model, protoTs, protoSources, asyncApiText: asyncapi.text, bundledAsyncApi },
      options.templates,
      versions,
    );
  const placeholders = protoTsPlaceholders(tsProto.names);
  const early = emit(placeholders, BUNDLED_PLACEHOLDER);
  mark("emitted (ts-proto output pending)");
  const toolRoot = resolve(options.templates, "..");
  const keyTexts = protoKeyTexts(early, placeholders, tsProto.key);
  // Not started (the records matched its key): the files it feeds, from disk if they are there.
  const onDisk = tsProto.deferred
    ? withRecordedFiles(early, keyTexts, toolRoot, formatSources)
    : undefined;
  const protoTs = onDisk ? undefined : await tsProto.texts();
  mark(onDisk ? "ts-proto output found on disk" : "ts-proto done");
  const contract = bundled();
  mark("bundled contract done");
  const filled = onDisk ?? fillProtoTs(early, placeholders, protoTs!);
  let files = filled && fillBundledAsyncApi(filled, contract);
  if (!files) {
    files = emit(protoTs ?? (await tsProto.texts()), contract);
    keyTexts.clear(); // emitted with the texts: each file is keyed by its own content
  }
  // Wire snapshot of the payloads; warns when one changed incompatibly without a schema_version bump.
  files.push(checkSchemaEvolution(options.out, proto, model, bag));
  mark("emitted");
  return { model, files, keyTexts };
}

/**
 * For each emitted file holding a ts-proto placeholder: the text that determines its content
 * once filled ({@link fillProtoTs}) — the emitted text plus ts-proto's input key. Empty unless
 * every placeholder is in the output exactly once, alone in its file (and no other placeholder
 * is there), as fillProtoTs requires.
 */
function protoKeyTexts(
  early: readonly GeneratedFile[],
  placeholders: ReadonlyMap<string, string>,
  tsProtoKey: string,
): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const f of early) {
    if (!f.content.includes(PROTO_TS_MARK)) continue;
    if (f.content.includes(BUNDLED_PLACEHOLDER) || f.content.split(PROTO_TS_MARK).length !== 2)
      return new Map();
    const name = [...placeholders].find(([, marker]) => f.content.includes(marker))?.[0];
    if (name === undefined || seen.has(name)) return new Map();
    seen.add(name);
    out.set(f.path, `${f.content}\0ts-proto ${tsProtoKey}`);
  }
  return seen.size === placeholders.size ? out : new Map();
}

/**
 * The emitted files with each file holding ts-proto output taken from disk, where the output
 * folder's records say it is the formatted file for exactly that key text; undefined when any
 * is missing or changed (ts-proto then runs).
 */
function withRecordedFiles(
  early: readonly GeneratedFile[],
  keyTexts: ReadonlyMap<string, string>,
  toolRoot: string,
  sources: FormatSources,
): GeneratedFile[] | undefined {
  if (keyTexts.size === 0) return undefined;
  const found = new Map<string, string>();
  for (const [path, keyText] of keyTexts) {
    const disk = recordedFormatted(path, keyText, toolRoot, sources);
    if (disk === undefined) return undefined;
    found.set(path, disk);
  }
  return early.map((f) => (found.has(f.path) ? { ...f, content: found.get(f.path)! } : f));
}
