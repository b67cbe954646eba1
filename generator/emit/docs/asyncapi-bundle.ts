import { createRequire } from "node:module";
import { join } from "node:path";
import { startYamlBundle, type BundleJob } from "../../load/yaml-positions.js";
import type { Model } from "../../model/types.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { bundleProto } from "./proto-bundle.js";

/** Path of the bundled contract under generated/. */
export const BUNDLED_ASYNCAPI_PATH = "docs/asyncapi.bundled.yaml";

/** The AsyncAPI schema format of an inline proto3 payload (what @asyncapi/protobuf-schema-parser reads). */
export const PROTOBUF_SCHEMA_FORMAT = "application/vnd.google.protobuf;version=3";

/** The name of the message a fully-qualified proto name denotes: `a.b.Order` -> `Order`. */
function localName(protoName: string): string {
  return protoName.slice(protoName.lastIndexOf(".") + 1);
}

/** The edit-and-print code shared with the YAML worker (plain CommonJS). */
const CORE = join(import.meta.dirname, "asyncapi-bundle-core.cjs");
const requireHere = createRequire(import.meta.url);

/** What the contract's edit needs: each message's inline schema, and where the code is. */
function bundleJob(model: Model, protoSources: ReadonlyMap<string, string>): BundleJob {
  return {
    core: CORE,
    schemaFormat: PROTOBUF_SCHEMA_FORMAT,
    payloads: model.messages.map((message) => ({
      id: message.id,
      schema: bundleProto(message.protoFile, protoSources, localName(message.protoName)),
    })),
  };
}

/**
 * The contract text with `components.messages.<id>.payload` set, for every message of the
 * model, to `{ schemaFormat: protobuf 3, schema: <self-contained proto text> }`. Comments and
 * key order of the source are kept; the `x-protobuf` pointer stays (an extension, still valid).
 */
export function bundleAsyncApi(
  asyncApiText: string,
  model: Model,
  protoSources: ReadonlyMap<string, string>,
): string {
  const job = bundleJob(model, protoSources);
  const core = requireHere(CORE) as {
    bundleContract(text: string, payloads: BundleJob["payloads"], schemaFormat: string): string;
  };
  return core.bundleContract(asyncApiText, job.payloads, job.schemaFormat);
}

/**
 * {@link bundleAsyncApi}, started in the YAML worker thread on the document it parsed to locate
 * diagnostics (this thread goes on meanwhile): a function that gives the text, waiting for the
 * worker if need be, and computing it here when the worker cannot (same code, same result).
 */
export function startBundleAsyncApi(
  asyncApiText: string,
  model: Model,
  protoSources: ReadonlyMap<string, string>,
): () => string {
  const fromWorker = startYamlBundle(asyncApiText, bundleJob(model, protoSources));
  return () => fromWorker() ?? bundleAsyncApi(asyncApiText, model, protoSources);
}

/** `docs/asyncapi.bundled.yaml`: the contract with protobuf payloads inlined. */
export function emitBundledAsyncApi(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  if (ctx.asyncApiText === undefined || ctx.protoSources === undefined) {
    throw new Error(
      "the bundled contract needs EmitContext.asyncApiText and EmitContext.protoSources",
    );
  }
  const protoFiles = [...new Set(ctx.model.messages.map((m) => m.protoFile))];
  const content = loadTemplates(templatesRoot, "docs").render("asyncapi.bundled.yaml", {
    sources: sourceList(["asyncapi.yaml", ...protoFiles]),
    schemaFormat: PROTOBUF_SCHEMA_FORMAT,
    body: ctx.bundledAsyncApi ?? bundleAsyncApi(ctx.asyncApiText, ctx.model, ctx.protoSources),
  });
  return { path: BUNDLED_ASYNCAPI_PATH, content };
}
