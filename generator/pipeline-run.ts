import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { StepCache } from "./cache.js";
import { DiagnosticBag } from "./diagnostics.js";
import { computeCoverage } from "./emit/coverage.js";
import { emitAll } from "./emit/index.js";
import { readAsyncApi, validateWithOfficialParser } from "./load/asyncapi.js";
import { loadFmea } from "./load/fmea.js";
import { loadProto } from "./load/proto.js";
import { isLibraryProto } from "./load/protovalidate.js";
import { buildModel } from "./model/build.js";
import type { GeneratorOptions } from "./options.js";
import type { GenerationResult } from "./pipeline.js";
import { formatFiles } from "./output/format.js";
import { withManifest } from "./output/manifest.js";
import { runTsProto } from "./protoc/ts-proto.js";
import { packageVersion } from "./package-version.js";

/**
 * load -> validate -> model -> emit -> format, without the whole-run cache. Pure with respect to the output folder: it
 * reads the spec sources and returns a map of files; writing and checking are the caller's.
 * On any error (or any warning with `strict`) it returns no files at all.
 */
export async function generateUncached(options: GeneratorOptions): Promise<GenerationResult> {
  const bag = new DiagnosticBag();
  const cache = new StepCache(options.cacheDir);
  const asyncapi = readAsyncApi(options.root, bag);
  // The slow steps run concurrently: buf (a child process) and the official AsyncAPI parser.
  const [proto, official] = await Promise.all([
    loadProto(options.root, bag),
    asyncapi?.doc
      ? validateWithOfficialParser(options.root, asyncapi.text, cache)
      : Promise.resolve([]),
  ]);
  bag.addAll(official);
  const fmea = await loadFmea(options.root, bag, cache);
  const model = asyncapi && !bag.hasErrors ? buildModel(asyncapi, proto, fmea, bag) : undefined;
  const failed = (): GenerationResult => ({ ok: false, files: [], diagnostics: bag.sorted() });
  if (!model || !proto || bag.hasErrors) return failed();

  const protoTs = await runTsProto(proto, cache);
  const protoSources = new Map(
    proto.set.file
      .filter((f) => !isLibraryProto(f.name))
      .map(
        (f) =>
          [`proto/${f.name}`, readFileSync(join(options.root, "proto", f.name), "utf8")] as const,
      ),
  );
  const files = emitAll(
    { model, protoTs, protoSources, asyncApiText: asyncapi!.text },
    options.templates,
    {
      bufbuildProtobuf: packageVersion("@bufbuild/protobuf"),
      runtime: packageVersion("@v2c/runtime"),
    },
  );
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
  const formatted = await formatFiles(files, resolve(options.templates, ".."), cache);
  return { ok: true, files: withManifest(formatted), diagnostics: bag.sorted(), model };
}
