import type { MetricModel, Model } from "../../model/types.js";
import { isAwsNamespace } from "../../model/fmea-vocabulary.js";

/** A latency percentile line and the SLA it is held against. */
export interface PercentileView {
  readonly statistic: string;
  readonly slaMs: number;
}

/** The seed's dashboard widgets (throughput, error breakdown, latency percentiles) as data. */
export interface DashboardView {
  readonly namespace: string;
  /** Send operations (the `operation` dimension values). */
  readonly operations: readonly string[];
  /** Counters per operation (received, processed, ...), summed. */
  readonly throughputMetrics: readonly string[];
  /** Counters with a `reason` dimension, one line per reason value (SEARCH). */
  readonly errorBreakdownMetrics: readonly string[];
  /** Per operation: the latency timer and the percentiles its SLA names. */
  readonly latency: readonly {
    operationId: string;
    metric: string;
    percentiles: readonly PercentileView[];
  }[];
}

/** `latency-p50` -> `p50`, `latency-p999` -> `p99.9` (the SLA's percentile as a CloudWatch statistic). */
export function slaPercentile(slaName: string): string | undefined {
  const m = /^latency-p(\d{2})(\d*)$/.exec(slaName);
  if (!m) return undefined;
  return m[2] ? `p${m[1]}.${m[2]}` : `p${m[1]}`;
}

const custom = (m: MetricModel) => !isAwsNamespace(m.namespace);

/** The one namespace of the pipeline's own (EMF) metrics (one by validation: checkMetricNamespaces). */
export function customNamespace(model: Model): string {
  const spaces = [...new Set(model.metrics.filter(custom).map((m) => m.namespace))];
  if (spaces.length !== 1)
    throw new Error(`expected one custom metric namespace, found ${spaces.join(", ")}`);
  return spaces[0]!;
}

/**
 * Widgets chosen by metric metadata, not by name: throughput = custom counters (Count) with an
 * `operation` dimension; error breakdown = custom counters with a `reason` dimension; latency =
 * custom timers with an `operation` dimension at the percentiles each operation's SLA names.
 */
export function dashboard(model: Model): DashboardView {
  const ops = model.operations.filter((op) => op.action === "send" && op.handler);
  const counters = model.metrics.filter((m) => custom(m) && m.kind === "counter");
  const timers = model.metrics.filter(
    (m) => custom(m) && m.kind === "timer" && m.dimensions.includes("operation"),
  );
  return {
    namespace: customNamespace(model),
    operations: ops.map((o) => o.id),
    throughputMetrics: counters
      .filter((m) => m.unit === "Count" && m.dimensions.includes("operation"))
      .map((m) => m.cloudwatchName),
    errorBreakdownMetrics: counters
      .filter((m) => m.dimensions.includes("reason"))
      .map((m) => m.cloudwatchName),
    latency: ops.flatMap((op) =>
      timers.map((t) => ({
        operationId: op.id,
        metric: t.cloudwatchName,
        percentiles: op.sla.flatMap((s) => {
          const statistic = slaPercentile(s.name);
          return statistic && s.unit === "ms" ? [{ statistic, slaMs: s.value }] : [];
        }),
      })),
    ),
  };
}
