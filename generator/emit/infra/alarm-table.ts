import type { AlarmModel, Model } from "../../model/types.js";
import type { Trace } from "../types.js";
import { alarmMetric, type AlarmMetricView } from "./alarm-metric.js";

/** One row of the generated alarm table (`src/alarm-definitions.ts`). */
export interface AlarmDefinitionView {
  /** Alarm name: `<FM id>-<slug>` for a failure mode, the alert id for a seed trigger. */
  readonly name: string;
  /** The FMEA id or alert id the alarm comes from. */
  readonly source: string;
  readonly kind: "failure-mode" | "alert";
  readonly title: string;
  readonly severity: string;
  /** Audience whose SNS topic the alarm notifies. */
  readonly audience: string;
  /** The runbook the description links; null: it links the row's response steps in the FMEA. */
  readonly runbook: string | null;
  /** First sentence of the alarm description (the runbook link is appended by the construct). */
  readonly summary: string;
  readonly metric: AlarmMetricView;
  readonly comparison: string;
  readonly threshold: number;
  readonly periodS: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: string;
}

function thresholds(alarm: AlarmModel) {
  return {
    comparison: alarm.comparison,
    threshold: alarm.threshold,
    periodS: alarm.periodS,
    evaluationPeriods: alarm.evaluationPeriods,
    datapointsToAlarm: alarm.datapointsToAlarm,
    treatMissingData: alarm.treatMissingData,
  };
}

/** Alarm name of a failure mode: `<FM id>-<slug of its name>`. */
export function failureModeAlarmName(fm: { readonly id: string; readonly slug: string }): string {
  return `${fm.id}-${fm.slug}`;
}

/**
 * Every alarm the infra package creates: one per failure mode whose detection is a metric
 * (every row of the FMEA carries `detection.alarm`, vehicle-side modes on the metrics the client
 * reports), then the seed's alert triggers, in spec order.
 */
export function alarmTable(model: Model): AlarmDefinitionView[] {
  const fromModes = model.failureModes.map((fm): AlarmDefinitionView => ({
    name: failureModeAlarmName(fm),
    source: fm.id,
    kind: "failure-mode",
    title: fm.name,
    severity: fm.severity,
    audience: fm.notify,
    runbook: fm.runbook ?? null,
    summary: `${fm.id} ${fm.name} (${fm.severity}): ${fm.detection.description}.`,
    metric: alarmMetric(model, fm.detection.alarm),
    ...thresholds(fm.detection.alarm),
  }));
  const fromAlerts = model.alerts.map((a): AlarmDefinitionView => ({
    name: a.id,
    source: a.id,
    kind: "alert",
    title: a.name,
    severity: a.severity,
    audience: a.notify,
    runbook: a.runbook,
    summary: `${a.name} (${a.severity}): ${a.action}.`,
    metric: alarmMetric(model, a.alarm),
    ...thresholds(a.alarm),
  }));
  return [...fromModes, ...fromAlerts];
}

/** One `alarm` trace per failure-mode alarm (symbol = alarm name), for the traceability matrix. */
export function alarmTraces(table: readonly AlarmDefinitionView[]): Trace[] {
  return table
    .filter((a) => a.kind === "failure-mode")
    .map((a) => ({ failureMode: a.source, kind: "alarm" as const, symbol: a.name }));
}
