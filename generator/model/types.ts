import type { EnumField } from "../../runtime/src/handlers/enum-fields.js";
/**
 * The single model every emitter reads. Built once from the three sources; every cross-reference
 * (FMEA row -> metric, channel, participant, runbook; operation -> channel -> message -> proto) is
 * resolved here, and durations are milliseconds.
 */

import type { MetricRole, SignalName } from "./vocabulary.js";
import type { FieldRulesModel } from "./field-rules.js";

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";

export interface ParameterModel {
  readonly name: string;
  readonly description: string;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly example: string;
}

export interface ServerModel {
  readonly id: string;
  readonly host: string;
  readonly protocol: string;
  readonly protocolVersion: string;
  readonly region: string;
  readonly failoverTo?: string;
  readonly clientIdTemplate: string;
  readonly cleanStart: boolean;
  readonly keepAliveS: number;
  readonly sessionExpiryS: number;
  readonly maxPacketBytes: number;
}

export interface ChannelModel {
  readonly id: string;
  readonly address: string;
  readonly title: string;
  readonly description: string;
  readonly parameters: readonly ParameterModel[];
  /** MQTT subscription filter matching every instance of the channel (`+` per parameter). */
  readonly filter: string;
  readonly topicAlias?: number;
  readonly phase?: string;
  readonly messageId: string;
}

export type ConstraintKind =
  "number" | "bigint-number" | "string" | "bytes" | "bool" | "enum" | "message" | "oneof";

/** A field's protovalidate rules (see field-rules.ts for the rest of the compiled rules). */
export interface FieldConstraintModel extends FieldRulesModel {
  /** Dotted path of ts-proto property names, e.g. `engine.rpmValue`. */
  readonly path: string;
  /** Dotted path of proto field names, e.g. `engine.rpm_value` (reported in reasons). */
  readonly protoPath: string;
  readonly kind: ConstraintKind;
  readonly repeated: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly required: boolean;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxLength?: number;
}

/** A top-level field that plays an envelope role (see `(v2c.options.v1.envelope)`). */
export interface EnvelopeFieldModel {
  /** The proto field name, e.g. `message_id`. */
  readonly field: string;
  /** The ts-proto property name, e.g. `messageId`. */
  readonly path: string;
  readonly kind: ConstraintKind;
}

/**
 * A message's envelope roles, declared with `(v2c.options.v1.envelope)` (never guessed). Types
 * are checked in the model: ids are strings, times 64-bit epoch ms, schema version a 32-bit
 * number, records repeated bytes, checksum fixed32/uint32.
 */
export interface EnvelopeModel {
  /** The dedup key; the client fills a UUID when empty. */
  readonly messageId?: EnvelopeFieldModel;
  /** Ties a reply to its request (copied from the request on a reply). */
  readonly correlationId?: EnvelopeFieldModel;
  /** Must equal the topic's `vehicleParameter`. */
  readonly vehicleId?: EnvelopeFieldModel;
  /** The channel parameter that carries the vehicle id (explicit, or the server's clientId parameter). */
  readonly vehicleParameter?: string;
  /** Epoch ms of the event; the client fills now() when 0. */
  readonly eventTime?: EnvelopeFieldModel;
  /** Epoch ms after which the receiver ignores the message. */
  readonly expiresAt?: EnvelopeFieldModel;
  readonly schemaVersion?: EnvelopeFieldModel;
  /** Batch: repeated bytes, each a serialized `recordMessage`. */
  readonly records?: EnvelopeFieldModel;
  /** Batch: CRC-32 (IEEE) over the records concatenated. */
  readonly checksum?: EnvelopeFieldModel;
  /** Batch: the record type, by proto name and by AsyncAPI message id. */
  readonly recordMessage?: { readonly protoName: string; readonly messageId: string };
}

/**
 * A field of a message type that holds enum values or leads to some (built by
 * model/enum-fields.ts): the runtime's `EnumField`, which the handlers check decoded records with.
 */
export type EnumFieldModel = EnumField;

export interface MessageModel {
  readonly id: string;
  readonly title: string;
  readonly contentType: string;
  readonly compression?: "zstd";
  /** The proto file, relative to the spec root (e.g. `proto/<package path>/<file>.proto`). */
  readonly protoFile: string;
  /** Fully-qualified proto name (`<package>.<Message>`). */
  readonly protoName: string;
  /** The ts-proto type name and the module that exports it (relative to the package's src/). */
  readonly tsName: string;
  readonly tsModule: string;
  readonly schemaVersion: number;
  readonly minSupportedSchemaVersion: number;
  readonly constraints: readonly FieldConstraintModel[];
  /** Enum fields of this message and the types it contains, by type name (absent: none). */
  readonly enumFields?: Readonly<Record<string, readonly EnumFieldModel[]>>;
  /** Envelope roles from `(v2c.options.v1.envelope)`; `{}` when the message declares none. */
  readonly envelope: EnvelopeModel;
}

export interface HandlerModel {
  readonly name: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly reservedConcurrency: number;
  /** `writes`: downstream participant ids (key-value-store | time-series-store), in spec order. */
  readonly writes: readonly string[];
  /** `dedup`: the key-value-store participant holding dedup claims (absent: no claims). */
  readonly dedup?: string;
  /** `dead-letter`: the object-store participant (default: the only object store). */
  readonly deadLetter: string;
}

/** The dead-letter replay function (`x-v2c.replay`, with defaults). */
export interface ReplayModel {
  readonly name: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
}

export interface BatchModel {
  readonly intervalMs: number;
  readonly minMessages: number;
  readonly maxMessages: number;
  readonly maxCompressedBytes: number;
  readonly maxDecompressedBytes: number;
  readonly zstdLevel: number;
  readonly uncompressedBytes?: number;
  readonly compressedBytes?: { readonly min: number; readonly max: number };
  readonly reduction?: { readonly min: number; readonly max: number };
}

/** An SLA figure: a duration (ms), a rate per second, or a ratio. */
export interface SlaModel {
  readonly name: string;
  readonly text: string;
  readonly value: number;
  readonly unit: "ms" | "per-second" | "ratio";
}

export interface OperationModel {
  readonly id: string;
  readonly action: "send" | "receive";
  readonly title: string;
  readonly summary: string;
  readonly channelId: string;
  readonly messageId: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 message expiry interval in seconds (`bindings.mqtt.messageExpiryInterval`). */
  readonly messageExpiryS?: number;
  /**
   * What the vehicle does with a send while offline: `queue` (persistent local queue, retried) or
   * `drop`. QoS 1/2 always queue; QoS 0 drops unless the operation says `x-offline: queue`.
   */
  readonly offline: "queue" | "drop";
  /** AsyncAPI 3 `reply` of a receive operation: the vehicle answers on this channel with this message. */
  readonly reply?: { readonly channelId: string; readonly messageId: string };
  readonly publishIntervalMs?: {
    readonly min: number;
    readonly max: number;
    readonly default: number;
  };
  readonly payloadSizeBytes?: { readonly min: number; readonly max: number };
  readonly dedupWindowMs?: number;
  readonly handler?: HandlerModel;
  readonly batch?: BatchModel;
  readonly sla: readonly SlaModel[];
}

export interface ParticipantModel {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
}

export interface StepModel {
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly operation?: string;
}

export interface PhaseModel {
  readonly id: string;
  readonly title: string;
  readonly purpose: string;
  readonly operation?: string;
  readonly steps: readonly StepModel[];
  readonly sla: readonly SlaModel[];
}

export interface MetricModel {
  readonly name: string;
  readonly seed?: number;
  readonly description: string;
  readonly kind: "counter" | "gauge" | "timer" | "ratio";
  readonly unit: "Count" | "Milliseconds" | "Bytes" | "Percent";
  readonly source: string;
  /** The metric role (vocabulary) this metric plays: the generated code emits it for that role. */
  readonly role?: MetricRole;
  readonly namespace: string;
  /** The name CloudWatch knows it by (the AWS metric name, or our dotted name). */
  readonly cloudwatchName: string;
  readonly dimensions: readonly string[];
  readonly numerator?: string;
  readonly denominator?: string;
}

export type Comparison =
  | "GreaterThanThreshold"
  | "GreaterThanOrEqualToThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

export interface AlarmModel {
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly rateOf?: string;
  readonly statistic: string;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly periodS: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
}

export interface AudienceModel {
  readonly id: string;
  readonly description: string;
  readonly escalateAfterMs?: number;
}

export interface AlertModel {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  readonly slaViolation: boolean;
  readonly alarm: AlarmModel;
  readonly notify: string;
  readonly action: string;
  readonly escalation?: string;
  readonly rootCause?: string;
  readonly expected?: string;
  readonly runbook: string;
}

export interface RunbookModel {
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

export interface RetryPolicyModel {
  readonly attempts: number;
  readonly delaysMs: readonly number[];
  readonly jitter: "none" | "full" | "equal";
  readonly dupFlag: boolean;
}

export interface CircuitBreakerModel {
  readonly openAfterFailures: number;
  readonly windowMs: number;
  readonly halfOpenAfterMs: number;
  readonly halfOpenTraffic: number;
}

/** A row's mitigation figures, with `uses` references already resolved into the same shape. */
export interface PolicyModel {
  readonly retry?: RetryPolicyModel;
  readonly circuitBreaker?: CircuitBreakerModel;
  readonly dlqReason?: string;
  readonly pubackTimeoutMs?: number;
  readonly quotaWait?: { readonly durationMs: number; readonly jitter: "none" | "full" | "equal" };
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

/** A value a row uses from elsewhere (`asyncapi:<path>` or `fmea:<id>/<key>`), resolved. */
export interface SpecReferenceModel {
  readonly ref: string;
  readonly value: unknown;
}

export type Owner = "ecu-client" | "handlers" | "infra" | "operations";

export interface FailureModeModel {
  readonly id: string;
  /** Where the row's id is written (for diagnostics raised after emitting, e.g. the coverage gate). */
  readonly location: { readonly file: string; readonly line: number; readonly column: number };
  /** Identifier-safe form of the id, e.g. `FM_06`. */
  readonly key: string;
  readonly name: string;
  readonly slug: string;
  readonly phase: string;
  readonly component: string;
  readonly owner: Owner;
  readonly severity: Severity;
  readonly probability: {
    readonly band: string;
    readonly rate?: readonly [number, number];
    readonly note?: string;
  };
  readonly mtbfMs: number;
  readonly mttrMs: { readonly min: number; readonly max: number };
  readonly mttrText: string;
  readonly impact: string;
  readonly costImpact?: string;
  readonly businessImpact?: string;
  readonly dataLossRisk?: string;
  readonly causes: readonly string[];
  readonly detection: {
    readonly description: string;
    /** The vocabulary signal and the platform's code for it (the row's `code`, else the signal's canonical one). */
    readonly signal: { readonly name: SignalName; readonly code: string };
    readonly alarm: AlarmModel;
  };
  readonly mitigation: {
    readonly description: string;
    readonly policy: PolicyModel;
    readonly uses: readonly SpecReferenceModel[];
  };
  readonly recovery: { readonly mode: "automated" | "manual"; readonly description: string };
  readonly notify: string;
  readonly runbook?: string;
  readonly response: readonly string[];
}

export interface PlatformModel {
  readonly iotMaxPacketBytes: number;
  readonly iotMaxKeepAliveS: number;
  readonly iotConnectionsPerSecond: number;
  readonly lambdaAccountConcurrency: number;
  readonly lambdaRuntime: string;
  readonly dlqRetentionMs: number;
  readonly maxClockSkewMs: number;
  readonly maxAgeMs: number;
  readonly timeSeriesMemoryRetentionMs: number;
  readonly localQueue: { readonly maxMessages: number; readonly overflow: "drop-oldest" };
  /** `x-v2c.platform.broker` (default aws-iot-core). */
  readonly broker: "aws-iot-core" | "mqtt5";
  /** `x-v2c.replay` with defaults. */
  readonly replay: ReplayModel;
  /** `x-v2c.platform.lambda.log-retention` in days (default 30). */
  readonly logRetentionDays?: number;
  /** `x-v2c.npm-scope` (default `@v2c`). */
  readonly npmScope?: string;
  /** `x-v2c.runbook-base-url` (optional). */
  readonly runbookBaseUrl?: string;
}

export interface Model {
  /** The spec source files, relative to the root, sorted (named in generated headers). */
  readonly sources: readonly string[];
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers: readonly ServerModel[];
  readonly channels: readonly ChannelModel[];
  readonly messages: readonly MessageModel[];
  readonly operations: readonly OperationModel[];
  readonly platform: PlatformModel;
  readonly participants: readonly ParticipantModel[];
  readonly phases: readonly PhaseModel[];
  readonly metrics: readonly MetricModel[];
  readonly audiences: readonly AudienceModel[];
  readonly alerts: readonly AlertModel[];
  readonly runbooks: readonly RunbookModel[];
  readonly failureModes: readonly FailureModeModel[];
}
