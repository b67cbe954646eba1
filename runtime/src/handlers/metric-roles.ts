import type { MetricDimensions, MetricsSink } from "../cloud/ports.js";

/**
 * The dimensions of every handler metric role (VOCABULARY.md §6), fixed by the runtime: a
 * metric carrying a role must declare exactly these dimensions, and an alarm on it filters on
 * their values (operation id, DLQ reason code, downstream participant id, signal name).
 */
export const HANDLER_METRIC_DIMENSIONS = {
  "messages-received": ["operation"],
  "messages-processed": ["operation"],
  "messages-failed": ["operation"],
  duplicates: ["operation"],
  "processing-latency": ["operation"],
  "data-volume": ["operation"],
  rejected: ["reason"],
  "dlq-count": ["reason"],
  "records-written": ["downstream"],
  throttled: ["downstream"],
  "partial-writes": ["downstream"],
  "downstream-errors": ["downstream", "signal"],
  "circuit-open": ["downstream"],
  "replay-progress": [],
} as const satisfies Record<string, readonly string[]>;

/** A metric role the handlers emit. */
export type HandlerMetricRole = keyof typeof HANDLER_METRIC_DIMENSIONS;

/** Every handler metric role. */
export const HANDLER_METRIC_ROLES = Object.keys(HANDLER_METRIC_DIMENSIONS) as HandlerMetricRole[];

/**
 * Metric names by role, generated from `fmea/metrics.yaml` (the metric carrying `role:`).
 * A role without a metric is not emitted.
 */
export type HandlerMetricNames = Readonly<Partial<Record<HandlerMetricRole, string>>>;

type DimensionsOf<R extends HandlerMetricRole> = {
  readonly [K in (typeof HANDLER_METRIC_DIMENSIONS)[R][number]]: string;
};

/** Emits handler metrics by role: the name from the table, the role's fixed dimensions. */
export class RoleMetrics {
  constructor(
    readonly sink: MetricsSink,
    private readonly names: HandlerMetricNames,
  ) {}

  /** Adds `value` to the role's counter (nothing when no metric has the role). */
  count<R extends HandlerMetricRole>(role: R, value: number, dimensions: DimensionsOf<R>): void {
    const name = this.names[role];
    if (name !== undefined) this.sink.count(name, value, dimensions as MetricDimensions);
  }

  /** Records one raw duration for the role (percentiles are computed downstream). */
  timing<R extends HandlerMetricRole>(role: R, ms: number, dimensions: DimensionsOf<R>): void {
    const name = this.names[role];
    if (name !== undefined) this.sink.timing(name, ms, dimensions as MetricDimensions);
  }

  /** Sets a 0/1 style gauge for the role. */
  gauge<R extends HandlerMetricRole>(role: R, value: number, dimensions: DimensionsOf<R>): void {
    const name = this.names[role];
    if (name !== undefined) this.sink.observe(name, value, "Count", dimensions as MetricDimensions);
  }

  /** Emits what the sink buffered. */
  flush(): Promise<void> {
    return this.sink.flush();
  }
}
