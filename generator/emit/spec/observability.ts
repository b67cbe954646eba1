import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "./package.js";

/** `src/observability.ts`: metric catalogue, audiences, the seed's alert triggers and runbooks. */
export function emitObservability(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const m = ctx.model;
  const imports = new ImportCollector();
  const types = {
    metric: imports.use(`${RUNTIME}/spec-types`, "MetricSpec", true),
    alert: imports.use(`${RUNTIME}/spec-types`, "AlertSpec", true),
    audience: imports.use(`${RUNTIME}/spec-types`, "AudienceSpec", true),
    runbook: imports.use(`${RUNTIME}/spec-types`, "RunbookSpec", true),
  };
  const byKey = <T>(items: readonly T[], key: (t: T) => string) =>
    Object.fromEntries(items.map((i) => [key(i), i]));
  const content = loadTemplates(templatesRoot, "spec").render("observability.ts", {
    sources: sourceList(["fmea/metrics.yaml", "fmea/alerts.yaml", "fmea/runbooks.yaml"]),
    imports: imports.lines(),
    types,
    metrics: literal(byKey(m.metrics, (x) => x.name)),
    audiences: literal(byKey(m.audiences, (x) => x.id)),
    alerts: literal(byKey(m.alerts, (x) => x.id)),
    runbooks: literal(byKey(m.runbooks, (x) => x.id)),
  });
  return { path: "spec/src/observability.ts", content };
}
