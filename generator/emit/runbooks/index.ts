import type { Model } from "../../model/types.js";
import { formatDuration } from "../../model/duration.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import type { GeneratedFile } from "../types.js";

/** Path of the generated runbook page (alarm descriptions link `<path>#<id>`). */
export const RUNBOOKS_PAGE = "docs/runbooks.md";

const range = (r: { min: number; max: number }) =>
  r.min === r.max ? formatDuration(r.min) : `${formatDuration(r.min)}–${formatDuration(r.max)}`;

/**
 * `docs/runbooks.md`: the seed's procedures and runbooks, then one section per failure mode
 * with its detection, alarm, response steps and the runbook it points to — each with a stable
 * anchor (the runbook id, the FM id) that the CloudWatch alarm descriptions link to.
 */
export function emitRunbooks(model: Model, templatesRoot: string): GeneratedFile {
  const runbookTitle = new Map(model.runbooks.map((r) => [r.id, r.title]));
  const content = loadTemplates(templatesRoot, "runbooks").render("runbooks.md", {
    sources: sourceList(["fmea/runbooks.yaml", "fmea/failure-modes.yaml", "fmea/alerts.yaml"]),
    runbooks: model.runbooks.map((r) => ({
      id: r.id,
      title: r.title,
      kind: r.kind,
      trigger: r.trigger ?? "",
      when: r.when,
      steps: r.steps,
      criteria: r.criteria,
      time: range(r.timeEstimateMs),
      alerts: model.alerts.filter((a) => a.runbook === r.id).map((a) => `${a.name} (\`${a.id}\`)`),
      failureModes: model.failureModes.filter((f) => f.runbook === r.id).map((f) => f.id),
    })),
    failureModes: model.failureModes.map((f) => ({
      id: f.id,
      name: f.name,
      severity: f.severity,
      impact: f.impact,
      detection: f.detection.description,
      alarm: `${f.detection.alarm.metric} ${f.detection.alarm.statistic} ${f.detection.alarm.comparison} ${f.detection.alarm.threshold}${f.detection.alarm.rateOf ? ` % of ${f.detection.alarm.rateOf}` : ""} over ${f.detection.alarm.datapointsToAlarm} of ${f.detection.alarm.evaluationPeriods} × ${f.detection.alarm.periodS} s`,
      notify: f.notify,
      recovery: `${f.recovery.mode}: ${f.recovery.description}`,
      mttr: f.mttrText,
      response: f.response,
      runbook: f.runbook
        ? { id: f.runbook, title: runbookTitle.get(f.runbook) ?? f.runbook }
        : false,
    })),
  });
  return { path: RUNBOOKS_PAGE, content };
}
