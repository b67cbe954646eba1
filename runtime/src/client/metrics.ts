/** Labels of one counter sample (e.g. `{ reasonCode: "0x97" }`). */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * The only metrics surface the vehicle runtime needs; the generated package adapts it to
 * its sink (CloudWatch EMF on the cloud side, a telemetry counter block on the vehicle).
 */
export interface ClientMetrics {
  counter(name: string, labels?: MetricLabels, value?: number): void;
}

/**
 * The metric roles the session counts (vocabulary, README "Metric roles"). A counter is emitted
 * under the name the spec's metrics file gives the role (`metricNames`), else under the role.
 */
export const MetricName = {
  connectionSuccess: "connection-success",
  connectionFailure: "connection-failure",
  disconnect: "disconnect",
  publishAcked: "publish-acked",
  publishResent: "publish-resent",
  publishQueued: "publish-queued",
  publishSent: "publish-sent",
  publishDropped: "publish-dropped",
  publishRejected: "publish-rejected",
  queueDropped: "queue-dropped",
} as const;

/** Counts under the spec's metric names: `names` maps a role to the name its metric has. */
export function namedMetrics(
  metrics: ClientMetrics,
  names: Readonly<Record<string, string>> | undefined,
): ClientMetrics {
  if (!names) return metrics;
  return { counter: (name, labels, value) => metrics.counter(names[name] ?? name, labels, value) };
}

/** Formats a reason code the way labels carry it: `0x97`. */
export function reasonLabel(code: number | undefined): string {
  return code === undefined ? "none" : `0x${code.toString(16).padStart(2, "0")}`;
}

/** In-memory counters for tests and local diagnostics. */
export class InMemoryClientMetrics implements ClientMetrics {
  private readonly values = new Map<string, number>();

  /** Adds `value` (default 1) to the counter `name` with `labels`. */
  counter(name: string, labels: MetricLabels = {}, value = 1): void {
    const key = InMemoryClientMetrics.key(name, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }

  /** Current value of one counter/label combination (0 if never counted). */
  get(name: string, labels: MetricLabels = {}): number {
    return this.values.get(InMemoryClientMetrics.key(name, labels)) ?? 0;
  }

  /** Sum of a counter over all label combinations. */
  total(name: string): number {
    let sum = 0;
    for (const [key, v] of this.values) if (key === name || key.startsWith(`${name}{`)) sum += v;
    return sum;
  }

  private static key(name: string, labels: MetricLabels): string {
    const parts = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`);
    return parts.length ? `${name}{${parts.join(",")}}` : name;
  }
}

/** A metrics sink that drops everything. */
export const noopMetrics: ClientMetrics = { counter: () => undefined };
