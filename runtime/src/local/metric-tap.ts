import type { MetricDimensions, MetricsSink, MetricUnitName } from "../cloud/ports.js";

/** One metric observation or counter increment, as the handlers emitted it. */
export interface TappedMetric {
  readonly name: string;
  readonly value: number;
  readonly dimensions: MetricDimensions;
  readonly kind: "count" | "observe";
  readonly unit?: MetricUnitName;
  readonly atMs: number;
}

/**
 * Wraps a MetricsSink so every count/observe/timing also reaches `listener` (the local alarm
 * evaluator, the live view, Prometheus). The sink keeps working as before.
 */
export function tapMetrics(
  sink: MetricsSink,
  listener: (m: TappedMetric) => void,
  now: () => number = Date.now,
  /** Which metrics reach the listener (default all); the others cost no event object. */
  wants: (kind: TappedMetric["kind"], name: string) => boolean = () => true,
): void {
  const target = sink as {
    count: MetricsSink["count"];
    observe: MetricsSink["observe"];
    timing: MetricsSink["timing"];
  };
  const count = sink.count.bind(sink);
  const observe = sink.observe.bind(sink);
  target.count = (name, value = 1, dimensions = {}) => {
    count(name, value, dimensions);
    if (wants("count", name)) listener({ name, value, dimensions, kind: "count", atMs: now() });
  };
  target.observe = (name, value, unit, dimensions = {}) => {
    observe(name, value, unit, dimensions);
    if (wants("observe", name)) {
      listener({ name, value, dimensions, kind: "observe", unit, atMs: now() });
    }
  };
  // timing() delegates to observe() in the memory sink; route it explicitly for other sinks.
  target.timing = (name, ms, dimensions = {}) =>
    target.observe(name, ms, "Milliseconds", dimensions);
}
