import type { Model } from "../../model/types.js";
import { computeCoverage, type LocatedTrace } from "../coverage.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import type { GeneratedFile } from "../types.js";

const where = (t: LocatedTrace) => `\`generated/${t.file}\` → \`${t.symbol}\``;

/**
 * `docs/traceability.md`: for each failure mode, its detection signal, alarm, mitigation code
 * location, tests, and whether recovery is automated or manual — read from the traces the other
 * emitters attached to their files, so it can only point at code that was generated.
 */
export function emitTraceability(
  model: Model,
  files: readonly GeneratedFile[],
  templatesRoot: string,
): GeneratedFile {
  const coverage = computeCoverage(model, files);
  const rows = coverage.map((c) => {
    const fm = c.failureMode;
    const runbook = fm.runbook ? model.runbooks.find((r) => r.id === fm.runbook) : undefined;
    return {
      id: fm.id,
      name: fm.name,
      severity: fm.severity,
      owner: fm.owner,
      recovery: fm.recovery.mode,
      signal: `${fm.detection.signal.name} \`${fm.detection.signal.code}\``,
      metric: fm.detection.alarm.metric,
      alarms: c.alarms.map((t) => `\`${t.symbol}\``).join("<br>") || "—",
      mitigations:
        [
          ...c.mitigations.map(where),
          ...(fm.recovery.mode === "manual"
            ? [`manual: ${runbook ? runbook.title : "response steps in fmea/failure-modes.yaml"}`]
            : []),
        ].join("<br>") || "—",
      tests: c.tests.map(where).join("<br>") || "—",
      status: c.missing.length === 0 ? "complete" : `missing ${c.missing.join(", ")}`,
    };
  });
  const complete = coverage.filter((c) => c.missing.length === 0).length;
  const content = loadTemplates(templatesRoot, "traceability").render("traceability.md", {
    sources: sourceList(["fmea/failure-modes.yaml", "fmea/runbooks.yaml", "asyncapi.yaml"]),
    total: coverage.length,
    complete,
    automated: model.failureModes.filter((f) => f.recovery.mode === "automated").length,
    manual: model.failureModes.filter((f) => f.recovery.mode === "manual").length,
    rows,
  });
  return { path: "docs/traceability.md", content };
}
