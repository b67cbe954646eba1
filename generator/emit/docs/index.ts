import type { EmitContext, GeneratedFile } from "../types.js";
import { emitBundledAsyncApi } from "./asyncapi-bundle.js";
import { emitDiagram } from "./diagram.js";
import { emitDocsReadme } from "./readme.js";

/** `generated/docs/`: the sequence diagram, its README (with a render link) and the bundled contract. */
export function emitDocs(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const diagram = emitDiagram(ctx, templatesRoot);
  return [
    diagram,
    emitDocsReadme(ctx, templatesRoot, diagram.content),
    emitBundledAsyncApi(ctx, templatesRoot),
  ];
}
