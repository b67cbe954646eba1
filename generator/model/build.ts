import type { DiagnosticBag } from "../diagnostics.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import type { LoadedFmea } from "../load/fmea.js";
import type { LoadedProto } from "../load/proto.js";
import { buildContract } from "./build-contract.js";
import { buildFmea } from "./build-fmea.js";
import { lintModel } from "./lints.js";
import type { Model } from "./types.js";

/**
 * Joins the three sources into one model. Returns undefined when anything could not be
 * resolved; every problem is in `bag` with its location.
 */
export function buildModel(
  asyncapi: LoadedAsyncApi,
  proto: LoadedProto | undefined,
  fmea: LoadedFmea | undefined,
  bag: DiagnosticBag,
): Model | undefined {
  const contract = buildContract(asyncapi, proto, bag);
  if (!contract || !fmea || !asyncapi.doc) return undefined;
  const ops = buildFmea(fmea, contract, asyncapi.doc, bag);
  const protoFiles = proto
    ? proto.set.file.map((f) => `proto/${f.name}`).filter((f) => !f.startsWith("proto/google/"))
    : [];
  const model: Model = {
    sources: [
      "asyncapi.yaml",
      ...protoFiles,
      "fmea/alerts.yaml",
      "fmea/failure-modes.yaml",
      "fmea/metrics.yaml",
      "fmea/runbooks.yaml",
    ].sort(),
    ...contract,
    ...ops,
  };
  if (bag.hasErrors || !proto) return undefined;
  lintModel(model, asyncapi, fmea, bag);
  return model;
}
