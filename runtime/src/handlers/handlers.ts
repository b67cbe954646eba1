import { processBatch } from "./batch-pipeline.js";
import type { CircuitBreakers } from "./breakers.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import { stepContext, type StepContext } from "./context.js";
import { deadLetter } from "./dead-letter.js";
import { Deadline } from "./deadline.js";
import { eventPayload, type InvocationContext, type RuleEvent } from "./event.js";
import {
  summarize,
  type BatchOutcome,
  type InvocationSummary,
  type RecordOutcome,
} from "./outcome.js";
import type { BatchTelemetryPolicy, TelemetryPolicy } from "./policy.js";
import type { HandlerPorts } from "./ports.js";
import { processRecord } from "./record-pipeline.js";

/** A Lambda handler for IoT rule events. */
export type RuleEventHandler = (
  event: RuleEvent,
  context?: InvocationContext,
) => Promise<InvocationSummary>;

/** Reads the vehicle id out of a topic of the handler's channel (undefined: not such a topic). */
export type TopicVehicleParser = (topic: string) => string | undefined;

/** Dead-letters the failed records of a batch/record run; returns the keys written. */
export async function deadLetterRecords(
  ctx: StepContext,
  outcomes: readonly RecordOutcome[],
  meta: {
    topic: string;
    vehicleId: string;
    receivedAt: number;
    batchId?: string;
    attempt?: number;
  },
): Promise<string[]> {
  const keys: string[] = [];
  for (const o of outcomes) {
    if (o.status !== "failed") continue;
    keys.push(
      await deadLetter(ctx, {
        failure: o.failure,
        topic: meta.topic,
        vehicleId: meta.vehicleId,
        receivedAt: meta.receivedAt,
        payload: o.bytes,
        messageId: o.messageId,
        ...(meta.batchId !== undefined ? { batchId: meta.batchId } : {}),
        ...(meta.attempt !== undefined ? { attempt: meta.attempt } : {}),
      }),
    );
  }
  return keys;
}

/** Dead-letters a whole batch (raw compressed payload) after a batch-level failure. */
export async function deadLetterBatch(
  ctx: StepContext,
  outcome: BatchOutcome,
  payload: Uint8Array,
  meta: { topic: string; vehicleId: string; receivedAt: number; attempt?: number },
): Promise<string[]> {
  if (!outcome.failure) return [];
  return [
    await deadLetter(ctx, {
      failure: outcome.failure,
      topic: meta.topic,
      vehicleId: meta.vehicleId,
      receivedAt: meta.receivedAt,
      payload,
      batchId: outcome.batchId,
      ...(meta.attempt !== undefined ? { attempt: meta.attempt } : {}),
    }),
  ];
}

/** The vehicle id to file a DLQ entry under: the topic's, else the MQTT client id. */
function dlqVehicle(parsed: string | undefined, event: RuleEvent): string {
  return parsed ?? (event.clientId || "unknown");
}

/**
 * The individual-telemetry handler (Phase 2A): one IoT rule event = one record. Every
 * rejection goes to the DLQ with its reason; metrics are flushed once per invocation.
 */
export function createRecordHandler<T>(options: {
  readonly policy: TelemetryPolicy;
  readonly codec: RecordCodec<T>;
  readonly parseVehicleId: TopicVehicleParser;
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
}): RuleEventHandler {
  const { policy, codec, ports, breakers } = options;
  return async (event, context) => {
    const ctx = stepContext(
      ports,
      breakers,
      policy,
      new Deadline(context, policy.deadlineSafetyMarginMs),
    );
    const bytes = eventPayload(event);
    const op = { operation: policy.operation };
    ports.metrics.count(policy.metrics.received, 1, op);
    ports.metrics.count(policy.metrics.dataVolume, bytes.byteLength, op);
    try {
      const vehicleId = options.parseVehicleId(event.topic);
      const outcome = await processRecord(ctx, codec, bytes, vehicleId, event.topic);
      const keys = await deadLetterRecords(ctx, [outcome], {
        topic: event.topic,
        vehicleId: dlqVehicle(vehicleId, event),
        receivedAt: event.receivedAt,
      });
      return summarize([outcome], keys);
    } finally {
      await ports.metrics.flush();
    }
  };
}

/**
 * The batch handler (Phase 2B): one event = one zstd batch of records. A batch-level failure
 * dead-letters the raw batch; record failures dead-letter each record's bytes.
 */
export function createBatchHandler<T, B>(options: {
  readonly policy: BatchTelemetryPolicy;
  readonly batchCodec: BatchCodec<B>;
  readonly recordCodec: RecordCodec<T>;
  readonly parseVehicleId: TopicVehicleParser;
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
}): RuleEventHandler {
  const { policy, ports, breakers } = options;
  return async (event, context) => {
    const ctx = {
      ...stepContext(ports, breakers, policy, new Deadline(context, policy.deadlineSafetyMarginMs)),
      policy,
    };
    const payload = eventPayload(event);
    const op = { operation: policy.operation };
    ports.metrics.count(policy.metrics.dataVolume, payload.byteLength, op);
    try {
      const vehicleId = options.parseVehicleId(event.topic);
      const outcome = await processBatch(
        ctx,
        options.batchCodec,
        options.recordCodec,
        payload,
        vehicleId,
        event.topic,
      );
      const meta = {
        topic: event.topic,
        vehicleId: dlqVehicle(vehicleId, event),
        receivedAt: event.receivedAt,
      };
      if (outcome.failure) {
        ports.metrics.count(policy.metrics.received, 1, op);
        const keys = await deadLetterBatch(ctx, outcome, payload, meta);
        return { received: 1, stored: 0, duplicates: 0, deadLettered: keys.length, dlqKeys: keys };
      }
      ports.metrics.count(policy.metrics.received, outcome.records.length, op);
      const keys = await deadLetterRecords(ctx, outcome.records, {
        ...meta,
        batchId: outcome.batchId,
      });
      return summarize(outcome.records, keys);
    } finally {
      await ports.metrics.flush();
    }
  };
}
