import type { FailureModeModel, Model, ParticipantModel, PhaseModel } from "../../model/types.js";
import { sourceList } from "../names.js";
import { loadTemplates, type TemplateSet } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { failureBranchView, participantViews, phaseView } from "./diagram-view.js";

/** Path of the sequence diagram under generated/. */
export const DIAGRAM_PATH = "docs/telemetry-flow.puml";

/** The spec files the diagram is drawn from (named in its header). */
export const DIAGRAM_SOURCES = ["asyncapi.yaml", "fmea/failure-modes.yaml"];

/** The participant declarations, one line each, in spec order. */
export function renderParticipants(
  t: TemplateSet,
  participants: readonly ParticipantModel[],
): string {
  return t.render("participants.puml", { participants: participantViews(participants) }).trimEnd();
}

/** One failure mode as an `alt` (first in its phase) or `else` branch, without the closing `end`. */
export function renderFailureBranch(t: TemplateSet, fm: FailureModeModel, first: boolean): string {
  return t.render("failure-branch.puml", failureBranchView(fm, first)).trimEnd();
}

/** One phase section: success path, one `alt`/`else` chain over its failure modes, SLA note. */
export function renderPhase(
  t: TemplateSet,
  phase: PhaseModel,
  failureModes: readonly FailureModeModel[],
): string {
  const own = failureModes.filter((fm) => fm.phase === phase.id);
  const view = phaseView(phase);
  return t
    .render("phase.puml", {
      ...view,
      failures: own.map((fm, i) => renderFailureBranch(t, fm, i === 0)),
      hasFailures: own.length > 0,
      hasSla: view.sla.length > 0,
    })
    .trimEnd();
}

/** The whole diagram text for a model. */
export function renderDiagram(t: TemplateSet, model: Model): string {
  const unplaced = model.failureModes.filter((fm) => !model.phases.some((p) => p.id === fm.phase));
  if (unplaced.length > 0)
    throw new Error(`failure modes outside every phase: ${unplaced.map((f) => f.id).join(", ")}`);
  return t.render("telemetry-flow.puml", {
    sources: sourceList(DIAGRAM_SOURCES),
    title: `${model.info.title} ${model.info.version}: telemetry flow`,
    participants: renderParticipants(t, model.participants),
    phases: model.phases.map((p) => renderPhase(t, p, model.failureModes)),
  });
}

/** `docs/telemetry-flow.puml`: the seed's sequence diagram, drawn from the model. */
export function emitDiagram(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  return {
    path: DIAGRAM_PATH,
    content: renderDiagram(loadTemplates(templatesRoot, "docs"), ctx.model),
  };
}
