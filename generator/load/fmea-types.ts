/** The FMEA files as written (kebab-case keys, durations as strings); validated by fmea/schema. */

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
export type DurationText = string;
export type DurationRangeText =
  DurationText | "immediate" | { min: DurationText; max: DurationText };

export interface RawAlarm {
  metric: string;
  dimensions?: Record<string, string>;
  "rate-of"?: string;
  statistic: string;
  comparison:
    | "GreaterThanThreshold"
    | "GreaterThanOrEqualToThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  threshold: number;
  period: DurationText;
  "evaluation-periods": number;
  "datapoints-to-alarm": number;
  "treat-missing-data"?: "breaching" | "notBreaching" | "ignore" | "missing";
}

export interface RawRetry {
  attempts: number;
  delays: DurationText[];
  jitter: "none" | "full" | "equal";
  "dup-flag"?: boolean;
}

export interface RawPolicy {
  retry?: RawRetry;
  "circuit-breaker"?: {
    "open-after-failures": number;
    window: DurationText;
    "half-open-after": DurationText;
    "half-open-traffic": number;
  };
  dlq?: { reason: string };
  "puback-timeout"?: DurationText;
  "quota-wait"?: { duration: DurationText; jitter?: "none" | "full" | "equal" };
  "stop-retrying"?: { event: "credential" | "security" };
  "certificate-expiry-warning"?: { before: DurationText };
  "size-check"?: { before: "publish" };
  split?: { strategy: "halves" };
  dedup?: { key: string };
  deadline?: { "safety-margin": DurationText };
  timeouts?: { connect: DurationText; request: DurationText };
  failover?: { to: string };
  checksum?: { algorithm: "crc32" };
}

export interface RawFailureMode {
  id: string;
  name: string;
  phase: string;
  component: string;
  owner: "ecu-client" | "handlers" | "infra" | "operations";
  severity: Severity;
  probability: {
    band: "VERY LOW" | "LOW" | "MEDIUM" | "HIGH";
    rate?: number | [number, number];
    note?: string;
  };
  mtbf: DurationText;
  mttr: DurationRangeText;
  impact: string;
  "cost-impact"?: string;
  "business-impact"?: string;
  "data-loss-risk"?: string;
  causes?: string[];
  detection: {
    description: string;
    /** A signal of the vocabulary (generator/model/vocabulary.ts). */
    signal: string;
    code?: string | number;
    alarm: RawAlarm;
  };
  mitigation: { description: string; policy: RawPolicy; uses?: string[] };
  recovery: { mode: "automated" | "manual"; description: string };
  notify: string;
  runbook?: string;
  response: string[];
}

export interface RawMetric {
  name: string;
  seed?: number;
  description: string;
  kind: "counter" | "gauge" | "timer" | "ratio";
  unit: "Count" | "Milliseconds" | "Bytes" | "Percent";
  source: string;
  role?: string;
  namespace?: string;
  "cloudwatch-name"?: string;
  dimensions?: string[];
  numerator?: string;
  denominator?: string;
}

export interface RawAudience {
  id: string;
  description: string;
  "escalate-after"?: DurationText;
}

export interface RawAlert {
  id: string;
  name: string;
  severity: Severity;
  "sla-violation"?: boolean;
  alarm: RawAlarm;
  notify: string;
  action: string;
  escalation?: string;
  "root-cause"?: string;
  expected?: string;
  runbook: string;
}

export interface RawRunbook {
  id: string;
  kind: "procedure" | "runbook";
  title: string;
  when?: string[];
  trigger?: string;
  steps: string[];
  criteria?: string[];
  "time-estimate": { min: DurationText; max: DurationText };
  automation?: string;
  prevention?: string;
}
