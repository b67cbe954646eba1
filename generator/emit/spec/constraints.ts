import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "./package.js";

/** `src/constraints.ts`: the range/pattern table of each payload message, read from the proto options. */
export function emitConstraints(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const imports = new ImportCollector();
  const tableType = imports.use(`${RUNTIME}/constraints`, "MessageConstraints", true);
  const checker = imports.use(`${RUNTIME}/constraints`, "ConstraintChecker");
  const messages = ctx.model.messages.map((m) => ({
    id: m.id,
    protoName: m.protoName,
    protoFile: m.protoFile,
    tableName: `${camel(m.id)}Constraints`,
    checkerName: `${camel(m.id)}Checker`,
    value: literal({
      message: m.protoName,
      schemaVersion: m.schemaVersion,
      minSupportedSchemaVersion: m.minSupportedSchemaVersion,
      fields: m.constraints,
    }),
  }));
  const content = loadTemplates(templatesRoot, "spec").render("constraints.ts", {
    sources: sourceList(ctx.model.messages.map((m) => m.protoFile)),
    imports: imports.lines(),
    tableType,
    checker,
    messages,
  });
  return { path: "spec/src/constraints.ts", content };
}
