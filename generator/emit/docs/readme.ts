import plantumlEncoder from "plantuml-encoder";
import type { FailureModeModel, Model } from "../../model/types.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { PROTOBUF_SCHEMA_FORMAT } from "./asyncapi-bundle.js";
import { DIAGRAM_SOURCES } from "./diagram.js";
import { slaLine } from "./diagram-view.js";

/** Path of the docs README under generated/. */
export const DOCS_README_PATH = "docs/README.md";

/** The public PlantUML server's SVG URL for a diagram (the encoding is deterministic). */
export function plantumlSvgUrl(diagram: string): string {
  return `https://www.plantuml.com/plantuml/svg/${plantumlEncoder.encode(diagram)}`;
}

/** Text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}

/** The rows' ids joined by commas, or an em dash. */
function ids(fms: readonly FailureModeModel[]): string {
  return fms.length > 0 ? fms.map((f) => f.id).join(", ") : "—";
}

/** The README view: counts, the diagram URL, one row per phase and per participant. */
export function docsReadmeView(model: Model, diagram: string) {
  return {
    sources: sourceList(DIAGRAM_SOURCES),
    title: cell(model.info.title),
    participantCount: model.participants.length,
    phaseCount: model.phases.length,
    failureModeCount: model.failureModes.length,
    schemaFormat: PROTOBUF_SCHEMA_FORMAT,
    svgUrl: plantumlSvgUrl(diagram),
    phases: model.phases.map((p) => ({
      id: p.id,
      title: cell(p.title),
      stepCount: p.steps.length,
      failureModes: ids(model.failureModes.filter((f) => f.phase === p.id)),
      sla: p.sla.length > 0 ? cell(p.sla.map(slaLine).join(", ")) : "—",
    })),
    participants: model.participants.map((p) => ({
      id: p.id,
      name: cell(p.name),
      kind: p.kind,
      failureModes: ids(model.failureModes.filter((f) => f.component === p.id)),
    })),
  };
}

/** `docs/README.md`: what the docs folder holds, the diagram link and the phase/participant tables. */
export function emitDocsReadme(
  ctx: EmitContext,
  templatesRoot: string,
  diagram: string,
): GeneratedFile {
  const content = loadTemplates(templatesRoot, "docs").render(
    "README.md",
    docsReadmeView(ctx.model, diagram),
  );
  return { path: DOCS_README_PATH, content };
}
