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
    ids: unionType(
      "export type FailureModeId =",
      rows.map((r) => JSON.stringify(r.id)),
    ),
  });
  return { path: "spec/src/fmea.ts", content };
}

/** ` a | b;` when `prefix a | b;` fits in 100 columns, else prettier's one-member-per-line form. */
function unionType(prefix: string, members: string[]): string {
  const flat = ` ${members.join(" | ")}`;
  return prefix.length + flat.length + 1 <= 100 ? flat : members.map((m) => `\n  | ${m}`).join("");
}
