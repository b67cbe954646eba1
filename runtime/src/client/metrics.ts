/** Labels of one counter sample (e.g. `{ reasonCode: "0x97" }`). */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * The only metrics surface the vehicle runtime needs; the generated package adapts it to
 * its sink (CloudWatch EMF on the cloud side, a telemetry counter block on the vehicle).
 */
export interface ClientMetrics {
  counter(name: string, labels?: MetricLabels, value?: number): void;
}

/** Metric names used by the session (names, not numbers, so they live here). */
export const MetricName = {
  connectionSuccess: "mqtt.connection.success",
  connectionFailure: "mqtt.connection.failure",
  disconnect: "mqtt.disconnect",
  publishAcked: "mqtt.publish.acked",
  publishResent: "mqtt.publish.resent",
  publishQueued: "mqtt.publish.queued",
  publishSent: "mqtt.publish.sent",
  publishDropped: "mqtt.publish.dropped",
  publishRejected: "mqtt.publish.rejected",
  queueDropped: "mqtt.queue.dropped",
} as const;

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
