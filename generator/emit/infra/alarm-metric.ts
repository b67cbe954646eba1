import type { AlarmModel, MetricModel, Model } from "../../model/types.js";

/** One CloudWatch metric as the generated alarm table prints it. */
export interface MetricStatView {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: string;
}

/** What an alarm watches: a single metric, or metric math over named metrics. */
export type AlarmMetricView =
  | ({ readonly kind: "metric" } & MetricStatView)
  | {
      readonly kind: "math";
      readonly expression: string;
      readonly label: string;
      readonly metrics: Readonly<Record<string, MetricStatView>>;
    };

/** The statistic of the parts of a ratio: both counters are summed over the period. */
export const RATIO_PART_STATISTIC = "Sum";

function metricByName(model: Model, name: string): MetricModel {
  const m = model.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`alarm on unknown metric ${name} (the model should have rejected it)`);
  return m;
}

/** The alarm's dimensions that `metric` declares (a rate's denominator shares only those). */
function declaredDimensions(
  metric: MetricModel,
  dims: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(dims).filter(([k]) => metric.dimensions.includes(k)));
}

function stat(
  metric: MetricModel,
  dimensions: Readonly<Record<string, string>>,
  statistic: string,
): MetricStatView {
  return { namespace: metric.namespace, metricName: metric.cloudwatchName, dimensions, statistic };
}

/**
 * The metric an alarm row watches:
 * - `rateOf` set: `100 * m / d`, the metric as a percentage of the `rateOf` metric (both with the
 *   row's statistic; the denominator keeps only the dimensions it declares);
 * - a `ratio` metric: `100 * n / d` of its numerator and denominator counters (summed);
 * - otherwise the metric itself with the row's statistic and dimensions as given.
 */
export function alarmMetric(model: Model, alarm: AlarmModel): AlarmMetricView {
  const metric = metricByName(model, alarm.metric);
  if (alarm.rateOf) {
    const of = metricByName(model, alarm.rateOf);
    return {
      kind: "math",
      expression: "100 * m / d",
      label: `${metric.name} as % of ${of.name}`,
      metrics: {
        m: stat(metric, alarm.dimensions, alarm.statistic),
        d: stat(of, declaredDimensions(of, alarm.dimensions), alarm.statistic),
      },
    };
  }
  if (metric.kind === "ratio" && metric.numerator && metric.denominator) {
    const n = metricByName(model, metric.numerator);
    const d = metricByName(model, metric.denominator);
    return {
      kind: "math",
      expression: "100 * n / d",
      label: `${metric.name} (%)`,
      metrics: {
        n: stat(n, declaredDimensions(n, alarm.dimensions), RATIO_PART_STATISTIC),
        d: stat(d, declaredDimensions(d, alarm.dimensions), RATIO_PART_STATISTIC),
      },
    };
  }
  return { kind: "metric", ...stat(metric, alarm.dimensions, alarm.statistic) };
}
