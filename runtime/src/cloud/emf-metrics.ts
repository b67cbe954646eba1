import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MetricDimensions, MetricsSink, MetricUnitName } from "./ports.js";

/** Options of EmfMetricsSink. */
export interface EmfMetricsSinkOptions {
  /** CloudWatch namespace. */
  readonly namespace: string;
  /** Added by Powertools as the `service` dimension. */
  readonly serviceName: string;
  /** Dimensions on every metric (e.g. region, function). */
  readonly defaultDimensions?: MetricDimensions;
}

const UNITS: Record<MetricUnitName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
  Bytes: MetricUnit.Bytes,
  Percent: MetricUnit.Percent,
  None: MetricUnit.NoUnit,
};

/**
 * MetricsSink writing CloudWatch Embedded Metric Format to stdout via Powertools Metrics
 * (Lambda ships stdout to CloudWatch Logs, which extracts the metrics; no API calls).
 *
 * Powertools is used rather than hand-written EMF: it validates names/units/dimension counts,
 * splits at 100 metrics or 100 values, and tests can drive it by capturing stdout.
 * Each observation is stored as its own value (Powertools keeps a Values array per metric),
 * never averaged, so CloudWatch can compute P50/P99/P99.9. Powertools holds one dimension set
 * per instance, so one instance is kept per distinct dimension set; `flush` publishes all.
 */
export class EmfMetricsSink implements MetricsSink {
  private readonly instances = new Map<string, Metrics>();

  constructor(private readonly options: EmfMetricsSinkOptions) {}

  /** @inheritdoc */
  count(name: string, value = 1, dimensions?: MetricDimensions): void {
    this.instance(dimensions).addMetric(name, MetricUnit.Count, value);
  }

  /** @inheritdoc */
  observe(name: string, value: number, unit: MetricUnitName, dimensions?: MetricDimensions): void {
    this.instance(dimensions).addMetric(name, UNITS[unit], value);
  }

  /** @inheritdoc */
  timing(name: string, ms: number, dimensions?: MetricDimensions): void {
    this.observe(name, ms, "Milliseconds", dimensions);
  }

  /** @inheritdoc — one EMF JSON line per dimension set with stored metrics. */
  async flush(): Promise<void> {
    for (const metrics of this.instances.values()) {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  }

  private instance(dimensions: MetricDimensions = {}): Metrics {
    const all = { ...this.options.defaultDimensions, ...dimensions };
    const key = JSON.stringify(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)));
    let metrics = this.instances.get(key);
    if (!metrics) {
      metrics = new Metrics({
        namespace: this.options.namespace,
        serviceName: this.options.serviceName,
        defaultDimensions: all,
      });
      this.instances.set(key, metrics);
    }
    return metrics;
  }
}
