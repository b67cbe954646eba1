/**
 * The closed vocabulary the generator knows (README "Vocabulary"): component kinds, failure
 * signals, mitigations (policy keys) and metric roles. Everything instance-specific — ids,
 * names, which failure modes exist — comes from the spec sources; only these sets live in code.
 */

/** Component kinds of `x-v2c.participants[].kind`. */
export const COMPONENT_KINDS = {
  vehicle: { shape: "actor", meaning: "the vehicle (ECU, sensors)" },
  "vehicle-client": { shape: "participant", meaning: "the MQTT client on the vehicle" },
  broker: { shape: "participant", meaning: "the MQTT broker (AWS IoT Core)" },
  "rules-engine": { shape: "participant", meaning: "the broker's rules engine" },
  function: { shape: "participant", meaning: "a cloud function (Lambda handler)" },
  "key-value-store": { shape: "database", meaning: "a key-value store (DynamoDB table)" },
  "time-series-store": { shape: "database", meaning: "a time-series store (Timestream table)" },
  "object-store": { shape: "queue", meaning: "an object store (S3 bucket, dead letters)" },
  monitoring: { shape: "participant", meaning: "metrics and alarms (CloudWatch)" },
  notification: { shape: "participant", meaning: "notification fan-out (SNS)" },
  operator: { shape: "actor", meaning: "people (on-call engineers)" },
} as const;

export type ComponentKind = keyof typeof COMPONENT_KINDS;

/** Store kinds a handler may write (`x-handler.writes`). */
export const DOWNSTREAM_KINDS: readonly ComponentKind[] = ["key-value-store", "time-series-store"];

/** Whether `kind` is a component kind. */
export function isComponentKind(kind: string): kind is ComponentKind {
  return Object.hasOwn(COMPONENT_KINDS, kind);
}

interface SignalSpec {
  readonly kinds: readonly ComponentKind[];
  readonly meaning: string;
  /** The platform's canonical code (an MQTT reason code in hex, or an error name); default: the name in upper snake case. */
  readonly code?: string;
}

/** Failure signals (`detection.signal`): what the runtime can raise, and where it applies. */
export const SIGNALS = {
  "certificate-expired": {
    kinds: ["vehicle-client", "broker"],
    meaning: "TLS: the client certificate expired",
    code: "CERT_HAS_EXPIRED",
  },
  "certificate-revoked": {
    kinds: ["vehicle-client", "broker"],
    meaning: "TLS: the certificate was revoked",
    code: "CERT_REVOKED",
  },
  "connect-timeout": {
    kinds: ["vehicle-client", "broker"],
    meaning: "connect or keep-alive timeout",
    code: "NETWORK_TIMEOUT",
  },
  "quota-exceeded": {
    kinds: ["broker", "function", "monitoring"],
    meaning: "CONNACK/DISCONNECT 0x97, or an account quota reached",
    code: "0x97",
  },
  "too-large": {
    kinds: ["broker", "vehicle-client"],
    meaning: "0x95 packet too large",
    code: "0x95",
  },
  "not-authorized": { kinds: ["broker"], meaning: "0x87 not authorized", code: "0x87" },
  "ack-timeout": {
    kinds: ["broker", "vehicle-client"],
    meaning: "no PUBACK in time",
    code: "PUBACK_TIMEOUT",
  },
  unavailable: {
    kinds: ["broker", "key-value-store", "time-series-store", "object-store"],
    meaning: "503 / server unavailable",
    code: "503",
  },
  timeout: {
    kinds: ["key-value-store", "time-series-store", "object-store"],
    meaning: "request or connect timeout",
  },
  throttled: {
    kinds: ["key-value-store", "time-series-store"],
    meaning: "throughput exceeded",
  },
  "pool-exhausted": {
    kinds: ["key-value-store", "time-series-store", "function"],
    meaning: "no connection available",
  },
  "partial-write": {
    kinds: ["key-value-store"],
    meaning: "a batch write left unprocessed items",
  },
  rejected: {
    kinds: ["time-series-store"],
    meaning: "records rejected (out of retention, out of order)",
    code: "REJECTED_RECORDS",
  },
  "decode-error": {
    kinds: ["function"],
    meaning: "the payload does not decode (protobuf)",
  },
  "range-violation": {
    kinds: ["function"],
    meaning: "a field constraint failed",
  },
  "decompression-error": {
    kinds: ["function"],
    meaning: "not a whole zstd frame",
  },
  "decompressed-too-large": {
    kinds: ["function"],
    meaning: "decompressed size above the cap",
  },
  "checksum-mismatch": {
    kinds: ["function"],
    meaning: "the batch checksum differs",
  },
  "clock-skew": {
    kinds: ["function", "vehicle-client"],
    meaning: "event time too far from receive time",
  },
  duplicate: {
    kinds: ["function", "key-value-store"],
    meaning: "message id seen inside the dedup window",
  },
  "deadline-exceeded": {
    kinds: ["function"],
    meaning: "invocation near its timeout",
  },
  "out-of-memory": { kinds: ["function"], meaning: "out of memory" },
  "region-unavailable": {
    kinds: ["broker"],
    meaning: "regional outage (failover)",
    code: "SERVER_UNAVAILABLE",
  },
} as const satisfies Record<string, SignalSpec>;

export type SignalName = keyof typeof SIGNALS;

/** Whether `name` is a signal of the vocabulary. */
export function isSignal(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}

/** The canonical code of a signal: its declared code, else its name in upper snake case. */
export function canonicalCode(signal: SignalName): string {
  const spec: SignalSpec = SIGNALS[signal];
  return spec.code ?? signal.toUpperCase().replace(/-/g, "_");
}

/** Whether `signal` applies to components of `kind`. */
export function signalAppliesTo(signal: SignalName, kind: string): boolean {
  return (SIGNALS[signal].kinds as readonly string[]).includes(kind);
}

/** The signals that apply to `kind` (for diagnostics). */
export function signalsOf(kind: string): SignalName[] {
  return (Object.keys(SIGNALS) as SignalName[]).filter((s) => signalAppliesTo(s, kind));
}

/** Mitigations: the policy keys of `mitigation.policy` (plus `local-queue` through `uses`). */
export const MITIGATIONS = [
  "retry",
  "circuit-breaker",
  "dlq",
  "split",
  "local-queue",
  "quota-wait",
  "dedup",
  "deadline",
  "stop-retrying",
  "certificate-expiry-warning",
  "size-check",
  "checksum",
  "timeouts",
  "puback-timeout",
  "failover",
] as const;

interface MetricRoleSpec {
  /** Dimensions the runtime sets (an alarm on the metric filters on their values). */
  readonly dimensions: readonly string[];
  readonly meaning: string;
}

/**
 * Metric roles (`metrics.yaml` `role:`): what the generated handlers and client emit. The
 * handler roles' dimensions are the runtime's (runtime/src/handlers/metric-roles.ts).
 */
export const METRIC_ROLES = {
  "messages-received": { dimensions: ["operation"], meaning: "messages handed to a handler" },
  "messages-processed": { dimensions: ["operation"], meaning: "messages stored" },
  "messages-failed": { dimensions: ["operation"], meaning: "messages dead-lettered" },
  rejected: { dimensions: ["reason"], meaning: "validation failures, by DLQ reason" },
  duplicates: { dimensions: ["operation"], meaning: "duplicates dropped" },
  "processing-latency": { dimensions: ["operation"], meaning: "receive-to-stored latency" },
  "data-volume": { dimensions: ["operation"], meaning: "payload bytes received" },
  "dlq-count": { dimensions: ["reason"], meaning: "dead letters written, by reason" },
  "records-written": { dimensions: ["downstream"], meaning: "records written, by downstream" },
  throttled: { dimensions: ["downstream"], meaning: "throttled downstream requests" },
  "partial-writes": {
    dimensions: ["downstream"],
    meaning: "items a batch write left unprocessed, by downstream",
  },
  "downstream-errors": {
    dimensions: ["downstream", "signal"],
    meaning: "failed downstream calls, by downstream participant id and signal",
  },
  "circuit-open": {
    dimensions: ["downstream"],
    meaning: "1 while a circuit is open, by downstream",
  },
  "replay-progress": { dimensions: [], meaning: "dead letters replayed" },
  "connection-success": { dimensions: [], meaning: "client connections established" },
  "connection-failure": { dimensions: ["reason_code"], meaning: "client connections refused" },
  "publish-rejected": {
    dimensions: ["reason_code", "operation"],
    meaning: "publishes the broker refused",
  },
  "publish-timeout": { dimensions: [], meaning: "publishes without PUBACK in time" },
  "publish-latency": { dimensions: ["operation"], meaning: "publish-to-PUBACK latency" },
  "queue-depth": { dimensions: [], meaning: "messages in the local queue" },
  "queue-dropped": { dimensions: [], meaning: "messages dropped from the full local queue" },
  "batch-split": { dimensions: [], meaning: "batches split after a size refusal" },
  "clock-skew": { dimensions: [], meaning: "client clock skew observed" },
  "certificate-days-to-expiry": { dimensions: [], meaning: "days until the certificate expires" },
} as const satisfies Record<string, MetricRoleSpec>;

export type MetricRole = keyof typeof METRIC_ROLES;

/** Whether `role` is a metric role of the vocabulary. */
export function isMetricRole(role: string): role is MetricRole {
  return Object.hasOwn(METRIC_ROLES, role);
}

/** Sorted, comma-separated names (for diagnostics that list the known values). */
export function known(names: readonly string[]): string {
  return [...names].sort().join(", ");
}
