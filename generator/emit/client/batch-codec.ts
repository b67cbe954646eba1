import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME_CLIENT, SPEC, clientView } from "./view.js";

/** `src/batch-codec.ts`: the envelope codec of each batch operation (records + CRC-32). */
export function emitBatchCodec(ctx: EmitContext, templatesRoot: string): GeneratedFile | undefined {
  const view = clientView(ctx.model);
  if (view.batches.length === 0) return undefined;
  const imports = new ImportCollector();
  imports.use(RUNTIME_CLIENT, "BatchCodec", true);
  imports.use(SPEC, "messages");
  for (const b of view.batches) imports.use(SPEC, b.type);
  const content = loadTemplates(templatesRoot, "client").render("batch-codec.ts", {
    sources: sourceList(view.batches.map((b) => b.message.protoFile)),
    imports: imports.lines(),
    ...view,
  });
  return {
    path: "ecu-client/src/batch-codec.ts",
    content,
    traces:
      view.rows.checksum.id === "default"
        ? []
        : view.batches.map((b) => ({
            failureMode: view.rows.checksum.id,
            kind: "mitigation" as const,
            symbol: b.codec,
          })),
  };
}
