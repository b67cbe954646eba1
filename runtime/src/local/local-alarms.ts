import type { AlarmSpec, MetricSpec } from "../spec-types.js";

type Dims = Readonly<Record<string, string>>;

/** One series an alarm reads: a metric (CloudWatch name), dimensions it must carry, a statistic. */
export interface AlarmSeries {
  readonly metric: string;
  readonly dimensions: Dims;
  readonly statistic: string;
}

/** A CDK alarm evaluated locally: the same statistic, threshold, period and datapoints. */
export interface LocalAlarm {
  /** The failure mode id or alert id the alarm belongs to. */
  readonly source: string;
  readonly title: string;
  readonly runbook?: string;
  readonly spec: AlarmSpec;
  /** A single series, or `100 * a / b` (a rate: `rateOf`, or a ratio metric's parts). */
  readonly series: AlarmSeries;
  readonly per?: AlarmSeries;
}

/** The spec package's failure modes, alerts and metrics, as `localAlarms` reads them. */
export interface AlarmSources {
  readonly failureModes: Readonly<
    Record<string, { id: string; name: string; runbook?: string; detection: { alarm: AlarmSpec } }>
  >;
  readonly alerts: Readonly<
    Record<string, { id: string; name: string; runbook?: string; alarm: AlarmSpec }>
  >;
  readonly metrics: Readonly<Record<string, MetricSpec>>;
}

function declared(metric: MetricSpec, dims: Dims): Dims {
  return Object.fromEntries(Object.entries(dims).filter(([k]) => metric.dimensions.includes(k)));
}

/**
 * The alarms of the CDK app, from the spec package: one per failure mode, one per alert.
 * `rateOf` → `100 * metric / rateOf` (both with the row's statistic, the denominator keeping
 * the dimensions it declares); a ratio metric → `100 * numerator / denominator` (summed) —
 * the rule the generated infra applies.
 */
export function localAlarms(src: AlarmSources): LocalAlarm[] {
  const metric = (name: string): MetricSpec | undefined => src.metrics[name];
  const build = (
    source: string,
    title: string,
    runbook: string | undefined,
    spec: AlarmSpec,
  ): LocalAlarm | undefined => {
    const m = metric(spec.metric);
    if (!m) return undefined;
    const base = { source, title, spec, ...(runbook ? { runbook } : {}) };
    if (spec.rateOf) {
      const of = metric(spec.rateOf);
      if (!of) return undefined;
      return {
        ...base,
        series: {
          metric: m.cloudwatchName,
          dimensions: spec.dimensions,
          statistic: spec.statistic,
        },
        per: {
          metric: of.cloudwatchName,
          dimensions: declared(of, spec.dimensions),
          statistic: spec.statistic,
        },
      };
    }
    if (m.kind === "ratio" && m.numerator && m.denominator) {
      const n = metric(m.numerator);
      const d = metric(m.denominator);
      if (!n || !d) return undefined;
      return {
        ...base,
        series: {
          metric: n.cloudwatchName,
          dimensions: declared(n, spec.dimensions),
          statistic: "Sum",
        },
        per: {
          metric: d.cloudwatchName,
          dimensions: declared(d, spec.dimensions),
          statistic: "Sum",
        },
      };
    }
    return {
      ...base,
      series: { metric: m.cloudwatchName, dimensions: spec.dimensions, statistic: spec.statistic },
    };
  };
  const out: LocalAlarm[] = [];
  for (const fm of Object.values(src.failureModes)) {
    const a = build(fm.id, fm.name, fm.runbook, fm.detection.alarm);
    if (a) out.push(a);
  }
  for (const al of Object.values(src.alerts)) {
    const a = build(al.id, al.name, al.runbook, al.alarm);
    if (a) out.push(a);
  }
  return out;
}

interface Bucket {
  sum: number;
  count: number;
  min: number;
  max: number;
  values: number[];
}

/** The state of one alarm after an evaluation. */
export interface AlarmState {
  readonly alarm: LocalAlarm;
  readonly state: "OK" | "ALARM";
  /** The newest datapoint (undefined: missing). */
  readonly value: number | undefined;
  readonly breaching: number;
}

const CAP = 4096;

/**
 * Keeps per-second buckets of the metrics the alarms read and evaluates each alarm like
 * CloudWatch: datapoints over `periodS`, the last `evaluationPeriods` of them, ALARM when at
 * least `datapointsToAlarm` breach; missing datapoints per `treatMissingData`. A series
 * matches an observation when the alarm's dimensions are a subset of the observation's (the
 * local sink keeps every dimension; CloudWatch matches exactly — the handlers emit the alarm's).
 */
export class AlarmEvaluator {
  private readonly buckets = new Map<
    string,
    { name: string; dims: Dims; seconds: Map<number, Bucket> }
  >();
  private readonly wanted: Set<string>;
  private readonly states = new Map<LocalAlarm, "OK" | "ALARM">();

  constructor(
    readonly alarms: readonly LocalAlarm[],
    private readonly now: () => number = Date.now,
  ) {
    this.wanted = new Set(
      alarms.flatMap((a) => [a.series.metric, ...(a.per ? [a.per.metric] : [])]),
    );
  }

  /** Whether an alarm reads this metric (CloudWatch name). */
  wants(name: string): boolean {
    return this.wanted.has(name);
  }

  /** Records a counter increment or an observation of a metric (by CloudWatch name). */
  record(name: string, value: number, dimensions: Dims, atMs = this.now()): void {
    if (!this.wanted.has(name)) return;
    // A cheap key (no sort): one call site always builds its dimensions in the same order.
    let key = name;
    for (const k in dimensions) key += `\u0000${k}=${dimensions[k]}`;
    let series = this.buckets.get(key);
    if (!series) this.buckets.set(key, (series = { name, dims: dimensions, seconds: new Map() }));
    const second = Math.floor(atMs / 1000);
    let b = series.seconds.get(second);
    if (!b) {
      b = { sum: 0, count: 0, min: Infinity, max: -Infinity, values: [] };
      series.seconds.set(second, b);
    }
    b.sum += value;
    b.count++;
    b.min = Math.min(b.min, value);
    b.max = Math.max(b.max, value);
    if (b.values.length < CAP) b.values.push(value);
    else b.values[Math.floor(Math.random() * b.count) % CAP] = value;
  }

  /** Evaluates every alarm now; `onChange` gets each alarm whose state changed. */
  evaluate(onChange?: (s: AlarmState) => void): AlarmState[] {
    const now = this.now();
    const keepS = Math.max(
      60,
      ...this.alarms.map((a) => a.spec.periodS * a.spec.evaluationPeriods),
    );
    const oldest = Math.floor(now / 1000) - keepS;
    for (const series of this.buckets.values()) {
      for (const second of series.seconds.keys())
        if (second < oldest) series.seconds.delete(second);
    }
    return this.alarms.map((alarm) => {
      const { spec } = alarm;
      let breaching = 0;
      let newest: number | undefined;
      for (let i = 0; i < spec.evaluationPeriods; i++) {
        const end = now - i * spec.periodS * 1000;
        const v = this.datapoint(alarm, end - spec.periodS * 1000, end);
        if (i === 0) newest = v;
        const breach =
          v === undefined
            ? spec.treatMissingData === "breaching"
            : compare(spec.comparison, v, spec.threshold);
        if (breach) breaching++;
      }
      const state = breaching >= spec.datapointsToAlarm ? "ALARM" : "OK";
      const result: AlarmState = { alarm, state, value: newest, breaching };
      if ((this.states.get(alarm) ?? "OK") !== state) onChange?.(result);
      this.states.set(alarm, state);
      return result;
    });
  }

  /** Alarms currently in ALARM. */
  firing(): LocalAlarm[] {
    return [...this.states].filter(([, s]) => s === "ALARM").map(([a]) => a);
  }

  private datapoint(alarm: LocalAlarm, fromMs: number, toMs: number): number | undefined {
    const a = this.stat(alarm.series, fromMs, toMs);
    if (!alarm.per) return a;
    const b = this.stat(alarm.per, fromMs, toMs);
    if (a === undefined || b === undefined || b === 0) return undefined;
    return (100 * a) / b;
  }

  private stat(s: AlarmSeries, fromMs: number, toMs: number): number | undefined {
    const merged: Bucket = { sum: 0, count: 0, min: Infinity, max: -Infinity, values: [] };
    const want = Object.entries(s.dimensions);
    for (const series of this.buckets.values()) {
      if (series.name !== s.metric) continue;
      const dims = series.dims;
      if (!want.every(([k, v]) => dims[k] === v)) continue;
      for (const [second, b] of series.seconds) {
        if (second * 1000 < fromMs || second * 1000 >= toMs) continue;
        merged.sum += b.sum;
        merged.count += b.count;
        merged.min = Math.min(merged.min, b.min);
        merged.max = Math.max(merged.max, b.max);
        merged.values.push(...b.values);
      }
    }
    if (merged.count === 0) return undefined;
    const st = s.statistic;
    if (st === "Sum") return merged.sum;
    if (st === "Average") return merged.sum / merged.count;
    if (st === "Minimum") return merged.min;
    if (st === "Maximum") return merged.max;
    if (st === "SampleCount") return merged.count;
    const p = /^p(\d+(?:\.\d+)?)$/i.exec(st);
    if (p) {
      const v = merged.values.sort((x, y) => x - y);
      return v[Math.min(v.length - 1, Math.ceil((Number(p[1]) / 100) * v.length) - 1)];
    }
    return undefined;
  }
}

function compare(op: AlarmSpec["comparison"], v: number, t: number): boolean {
  switch (op) {
    case "GreaterThanThreshold":
      return v > t;
    case "GreaterThanOrEqualToThreshold":
      return v >= t;
    case "LessThanThreshold":
      return v < t;
    case "LessThanOrEqualToThreshold":
      return v <= t;
  }
}
