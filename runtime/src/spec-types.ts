/**
 * Shapes of the data that generated packages export (failure modes, metrics, alarms, runbooks,
 * operations). The generator fills them from the spec; durations are milliseconds.
 */
import type { CircuitBreakerPolicy, Jitter, RetryPolicy } from "./policy.js";

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";

export interface AlarmSpec {
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** When set, the alarm watches 100 * metric / rateOf (a percentage). */
  readonly rateOf?: string;
  readonly statistic: string;
  readonly comparison:
    | "GreaterThanThreshold"
    | "GreaterThanOrEqualToThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  readonly threshold: number;
  readonly periodS: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
}

export interface MitigationPolicy {
  readonly retry?: RetryPolicy & { readonly dupFlag: boolean };
  readonly circuitBreaker?: CircuitBreakerPolicy;
  readonly dlqReason?: string;
  readonly pubackTimeoutMs?: number;
  readonly quotaWait?: { readonly durationMs: number; readonly jitter: Jitter };
  readonly stopRetrying?: "credential" | "security";
  readonly certificateExpiryWarningMs?: number;
  readonly sizeCheck?: boolean;
  readonly split?: "halves";
  readonly dedupKey?: string;
  readonly deadlineSafetyMarginMs?: number;
  readonly timeouts?: { readonly connectMs: number; readonly requestMs: number };
  readonly failover?: string;
  readonly checksum?: "crc32";
}

export interface FailureModeSpec {
  readonly id: string;
  readonly name: string;
  readonly phase: string;
  readonly component: string;
  readonly owner: "ecu-client" | "handlers" | "infra" | "operations";
  readonly severity: Severity;
  readonly probability: {
    readonly band: string;
    readonly rate?: readonly [number, number];
    readonly note?: string;
  };
  readonly mtbfMs: number;
  readonly mttrMs: { readonly min: number; readonly max: number };
  readonly impact: string;
  readonly costImpact?: string;
  readonly businessImpact?: string;
  readonly dataLossRisk?: string;
  readonly causes: readonly string[];
  readonly detection: {
    readonly description: string;
    /** A vocabulary signal (README "Vocabulary") and the platform's code for it. */
    readonly signal: { readonly name: string; readonly code: string };
    readonly alarm: AlarmSpec;
  };
  readonly mitigation: {
    readonly description: string;
    readonly policy: MitigationPolicy;
    readonly uses: readonly { readonly ref: string; readonly value: unknown }[];
  };
  readonly recovery: { readonly mode: "automated" | "manual"; readonly description: string };
  readonly notify: string;
  readonly runbook?: string;
  readonly response: readonly string[];
}

export interface MetricSpec {
  readonly name: string;
  readonly seed?: number;
  readonly description: string;
  readonly kind: "counter" | "gauge" | "timer" | "ratio";
  readonly unit: "Count" | "Milliseconds" | "Bytes" | "Percent";
  readonly source: string;
  /** The metric role (README "Vocabulary") the generated code emits this metric for. */
  readonly role?: string;
  readonly namespace: string;
  readonly cloudwatchName: string;
  readonly dimensions: readonly string[];
  readonly numerator?: string;
  readonly denominator?: string;
}

export interface AlertSpec {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  readonly slaViolation: boolean;
  readonly alarm: AlarmSpec;
  readonly notify: string;
  readonly action: string;
  readonly escalation?: string;
  readonly rootCause?: string;
  readonly expected?: string;
  readonly runbook: string;
}

export interface RunbookSpec {
  readonly id: string;
  readonly kind: "procedure" | "runbook";
  readonly title: string;
  readonly when: readonly string[];
  readonly trigger?: string;
  readonly steps: readonly string[];
  readonly criteria: readonly string[];
  readonly timeEstimateMs: { readonly min: number; readonly max: number };
  readonly automation?: string;
  readonly prevention?: string;
}

export interface AudienceSpec {
  readonly id: string;
  readonly description: string;
  readonly escalateAfterMs?: number;
}
