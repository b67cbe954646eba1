import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "./package.js";

/** `src/fmea.ts`: one typed constant per failure mode (policies in ms) and the table of all of them. */
export function emitFmea(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const imports = new ImportCollector();
  const specType = imports.use(`${RUNTIME}/spec-types`, "FailureModeSpec", true);
  const rows = ctx.model.failureModes.map((fm) => {
    const { key, slug: _slug, mttrText: _m, location: _l, ...data } = fm;
    return {
      id: fm.id,
      key,
      name: fm.name,
      severity: fm.severity,
      mitigation: fm.mitigation.description,
      recovery: fm.recovery.mode,
      value: literal(data),
    };
  });
  const content = loadTemplates(templatesRoot, "spec").render("fmea.ts", {
    sources: sourceList(["fmea/failure-modes.yaml", "asyncapi.yaml"]),
    imports: imports.lines(),
    specType,
    rows,
    ids: rows.map((r) => JSON.stringify(r.id)).join(" | "),
  });
  return { path: "spec/src/fmea.ts", content };
}
