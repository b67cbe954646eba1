import { build, type Histogram } from "hdr-histogram-js";
import type { MetricDimensions, MetricsSink, MetricUnitName } from "./ports.js";

// HDR histograms hold integers: observations are kept in thousandths (3 decimal places).
const SCALE = 1000;

interface Series {
  readonly name: string;
  readonly dimensions: MetricDimensions;
  readonly unit: MetricUnitName;
  readonly histogram: Histogram;
  sum: number;
}

/**
 * In-memory MetricsSink for tests and the local pipeline: counters by name + dimensions, and
 * an HDR histogram per observed series so percentiles (P50/P99/P99.9) are exact to 3
 * significant digits without keeping every value.
 */
export class MemoryMetricsSink implements MetricsSink {
  private readonly counters = new Map<string, number>();
  private readonly series = new Map<string, Series>();
  /** How many times `flush` was called (a handler must flush once per invocation). */
  flushes = 0;

  /** @inheritdoc */
  count(name: string, value = 1, dimensions: MetricDimensions = {}): void {
    const key = seriesKey(name, dimensions);
    this.counters.set(key, (this.counters.get(key) ?? 0) + value);
  }

  /** @inheritdoc */
  observe(
    name: string,
    value: number,
    unit: MetricUnitName,
    dimensions: MetricDimensions = {},
  ): void {
    if (!(value >= 0) || !Number.isFinite(value))
      throw new RangeError(`bad observation ${value} for ${name}`);
    const key = seriesKey(name, dimensions);
    let s = this.series.get(key);
    if (!s) {
      s = {
        name,
        dimensions,
        unit,
        histogram: build({ numberOfSignificantValueDigits: 3 }),
        sum: 0,
      };
      this.series.set(key, s);
    }
    s.histogram.recordValue(Math.round(value * SCALE));
    s.sum += value;
  }

  /** @inheritdoc */
  timing(name: string, ms: number, dimensions?: MetricDimensions): void {
    this.observe(name, ms, "Milliseconds", dimensions);
  }

  /** @inheritdoc */
  async flush(): Promise<void> {
    this.flushes++;
  }

  /** Counter value (0 when never counted). */
  counter(name: string, dimensions: MetricDimensions = {}): number {
    return this.counters.get(seriesKey(name, dimensions)) ?? 0;
  }

  /** Sum of a counter over every dimension set. */
  counterTotal(name: string): number {
    let total = 0;
    for (const [key, value] of this.counters) if (JSON.parse(key)[0] === name) total += value;
    return total;
  }

  /** Number of observations of a series. */
  observations(name: string, dimensions: MetricDimensions = {}): number {
    return this.series.get(seriesKey(name, dimensions))?.histogram.totalCount ?? 0;
  }

  /** Value at `percentile` (0–100) of a series, or undefined when it has no observations. */
  percentile(
    name: string,
    percentile: number,
    dimensions: MetricDimensions = {},
  ): number | undefined {
    const s = this.series.get(seriesKey(name, dimensions));
    if (!s || s.histogram.totalCount === 0) return undefined;
    return s.histogram.getValueAtPercentile(percentile) / SCALE;
  }

  /** Largest observation of a series. */
  max(name: string, dimensions: MetricDimensions = {}): number | undefined {
    const s = this.series.get(seriesKey(name, dimensions));
    return s && s.histogram.totalCount > 0 ? s.histogram.maxValue / SCALE : undefined;
  }

  /** Forgets everything. */
  reset(): void {
    for (const s of this.series.values()) s.histogram.destroy();
    this.counters.clear();
    this.series.clear();
  }
}

// Canonical keys found through a trie keyed by the name, then each dimension's name and value
// in the caller's order: the handlers emit a few series per message with the same small
// dimension sets, and their names and values are mostly the same string objects each time, so
// the lookups hash nothing new (a lookup string built per call had to be hashed every time) and
// the JSON + sort is done once per distinct series. Bounded: emptied past 10,000 series.
interface KeyNode {
  key?: string;
  readonly next: Map<string, KeyNode>;
}
let keyTrie = new Map<string, KeyNode>();
let cachedKeys = 0;
const KEY_CACHE_LIMIT = 10_000;

function child(map: Map<string, KeyNode>, part: string): KeyNode {
  let node = map.get(part);
  if (node === undefined) {
    node = { next: new Map() };
    map.set(part, node);
  }
  return node;
}

function seriesKey(name: string, dimensions: MetricDimensions): string {
  let node = child(keyTrie, name);
  for (const k in dimensions) node = child(child(node.next, k).next, String(dimensions[k]));
  let key = node.key;
  if (key === undefined) {
    key = canonicalKey(name, dimensions);
    if (++cachedKeys > KEY_CACHE_LIMIT) {
      keyTrie = new Map();
      cachedKeys = 0;
    } else node.key = key;
  }
  return key;
}

function canonicalKey(name: string, dimensions: MetricDimensions): string {
  const entries = Object.entries(dimensions);
  if (entries.length > 1) entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([name, entries]);
}
