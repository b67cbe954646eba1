import { isMap, parseDocument, Scalar, YAMLMap } from "yaml";
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
  const doc = parseDocument(asyncApiText);
  if (doc.errors.length > 0)
    throw new Error(`asyncapi text does not parse: ${doc.errors[0]!.message}`);
  for (const message of model.messages) {
    const node = doc.getIn(["components", "messages", message.id], true);
    if (!isMap(node))
      throw new Error(`components.messages.${message.id} is not a map in the contract`);
    const schema = new Scalar(
      bundleProto(message.protoFile, protoSources, localName(message.protoName)),
    );
    schema.type = Scalar.BLOCK_LITERAL;
    const payload = new YAMLMap();
    payload.set("schemaFormat", PROTOBUF_SCHEMA_FORMAT);
    payload.set("schema", schema);
    node.set("payload", payload);
  }
  return doc.toString({ lineWidth: 0 });
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
    body: bundleAsyncApi(ctx.asyncApiText, ctx.model, ctx.protoSources),
  });
  return { path: BUNDLED_ASYNCAPI_PATH, content };
}
