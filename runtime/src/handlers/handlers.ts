import { processBatch } from "./batch-pipeline.js";
import type { CircuitBreakers } from "./breakers.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import { stepContext, type StepContext } from "./context.js";
import { deadLetter } from "./dead-letter.js";
import { Deadline } from "./deadline.js";
import { readRuleEvent, type InvocationContext, type RuleEvent } from "./event.js";
import {
  RedeliveryRequired,
  summarize,
  type BatchOutcome,
  type InvocationSummary,
  type RecordOutcome,
} from "./outcome.js";
import { decodeRulePayload, PayloadFailure } from "./payload.js";
import type { BatchHandlerPolicy, HandlerPolicy } from "./policy.js";
import type { HandlerPorts } from "./ports.js";
import { processRecord, unparsedId } from "./record-pipeline.js";

/** A function handler for rule events. */
export type RuleEventHandler = (
  event: RuleEvent,
  context?: InvocationContext,
) => Promise<InvocationSummary>;

/** Reads the vehicle id out of a topic of the handler's channel (undefined: not such a topic). */
export type TopicVehicleParser = (topic: string) => string | undefined;

/** Where the DLQ entries of one event are filed. */
export interface DeadLetterMeta {
  readonly topic: string;
  readonly vehicleId: string;
  readonly receivedAt: number;
  readonly batchId?: string;
  readonly attempt?: number;
}

/** Dead-letters the failed records of a run (one typed `record` entry each); returns the keys. */
export async function deadLetterRecords(
  ctx: StepContext,
  outcomes: readonly RecordOutcome[],
  meta: DeadLetterMeta,
): Promise<string[]> {
  const keys: string[] = [];
  for (const o of outcomes) {
    if (o.status !== "failed") continue;
    keys.push(
      await deadLetter(ctx, {
        type: "record",
        failure: o.failure,
        topic: meta.topic,
        vehicleId: meta.vehicleId,
        receivedAt: meta.receivedAt,
        payload: o.bytes,
        messageId: o.messageId || unparsedId(o.bytes),
        ...(o.pendingSinks !== undefined ? { pendingSinks: o.pendingSinks } : {}),
        ...(meta.batchId !== undefined ? { batchId: meta.batchId } : {}),
        ...(meta.attempt !== undefined ? { attempt: meta.attempt } : {}),
      }),
    );
  }
  return keys;
}

/** Dead-letters a whole batch (raw payload, a `batch` entry) after a batch-level failure. */
export async function deadLetterBatch(
  ctx: StepContext,
  outcome: BatchOutcome,
  payload: Uint8Array,
  meta: DeadLetterMeta,
): Promise<string[]> {
  if (!outcome.failure) return [];
  return [
    await deadLetter(ctx, {
      type: "batch",
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

/** The vehicle id to file a DLQ entry under: the topic's, else the client id. */
function dlqVehicle(parsed: string | undefined, event: RuleEvent): string {
  return parsed ?? (event.clientId || "unknown");
}

/** An id for a payload that could not be opened (hashing at most its first 4 KiB). */
function payloadId(text: string): string {
  return unparsedId(Buffer.from(`${text.length}:${text.slice(0, 4096)}`));
}

/** Throws RedeliveryRequired when some record is claimed by a live invocation. */
function requireRedelivery(outcomes: readonly RecordOutcome[], summary: InvocationSummary): void {
  if (!outcomes.some((o) => o.status === "in-progress")) return;
  const busy = outcomes.filter((o) => o.status === "in-progress").map((o) => o.messageId);
  if (busy.length > 0) throw new RedeliveryRequired(busy, summary);
}

/** Options of `createRecordHandler`. */
export interface RecordHandlerOptions<T> {
  readonly policy: HandlerPolicy;
  readonly codec: RecordCodec<T>;
  readonly parseVehicleId: TopicVehicleParser;
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
}

/**
 * A record handler: one rule event = one message. Every rejection goes to the DLQ with its
 * reason; metrics are flushed once per invocation. Throws only when the DLQ cannot be written
 * or a message is claimed by a live invocation (both: the platform redelivers).
 */
export function createRecordHandler<T>(options: RecordHandlerOptions<T>): RuleEventHandler {
  const { policy, codec, ports, breakers } = options;
  return async (raw, context) => {
    const event = readRuleEvent(raw);
    if (context) ports.logger?.addContext?.(context);
    const ctx = stepContext(
      ports,
      breakers,
      policy,
      new Deadline(context, policy.deadlineSafetyMarginMs),
    );
    const op = { operation: policy.operation };
    ctx.metrics.count("messages-received", 1, op);
    try {
      const vehicleId = options.parseVehicleId(event.topic);
      const meta = {
        topic: event.topic,
        vehicleId: dlqVehicle(vehicleId, event),
        receivedAt: event.receivedAt,
      };
      let outcome: RecordOutcome;
      try {
        const bytes = decodeRulePayload(event.payload, policy.maxPayloadBytes);
        ctx.metrics.count("data-volume", bytes.byteLength, op);
        outcome = await processRecord(ctx, codec, bytes, vehicleId, event.topic);
      } catch (error) {
        if (!(error instanceof PayloadFailure)) throw error;
        outcome = {
          status: "failed",
          failure: error,
          messageId: payloadId(event.payload),
          bytes: error.kept,
        };
      }
      // Nothing to file for a stored or duplicate record: no DLQ round (an await) per message.
      const outcomes = [outcome];
      const keys = outcome.status === "failed" ? await deadLetterRecords(ctx, outcomes, meta) : [];
      const summary = summarize(outcomes, keys);
      requireRedelivery(outcomes, summary);
      return summary;
    } finally {
      await ctx.metrics.flush();
    }
  };
}

/** Options of `createBatchHandler`. */
export interface BatchHandlerOptions<T, B> {
  readonly policy: BatchHandlerPolicy;
  readonly batchCodec: BatchCodec<B>;
  readonly recordCodec: RecordCodec<T>;
  readonly parseVehicleId: TopicVehicleParser;
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
}

/**
 * A batch handler: one event = one zstd batch of records. A batch-level failure dead-letters
 * the raw batch as a `batch` entry; record failures dead-letter each record's bytes.
 */
export function createBatchHandler<T, B>(options: BatchHandlerOptions<T, B>): RuleEventHandler {
  const { policy, ports, breakers } = options;
  return async (raw, context) => {
    const event = readRuleEvent(raw);
    if (context) ports.logger?.addContext?.(context);
    const ctx = stepContext(
      ports,
      breakers,
      policy,
      new Deadline(context, policy.deadlineSafetyMarginMs),
    );
    const op = { operation: policy.operation };
    try {
      const vehicleId = options.parseVehicleId(event.topic);
      const meta = {
        topic: event.topic,
        vehicleId: dlqVehicle(vehicleId, event),
        receivedAt: event.receivedAt,
      };
      let payload: Uint8Array;
      let outcome: BatchOutcome;
      try {
        payload = decodeRulePayload(event.payload, policy.maxPayloadBytes);
        ctx.metrics.count("data-volume", payload.byteLength, op);
        outcome = await processBatch(
          ctx,
          options.batchCodec,
          options.recordCodec,
          payload,
          vehicleId,
          event.topic,
        );
      } catch (error) {
        if (!(error instanceof PayloadFailure)) throw error;
        payload = error.kept;
        outcome = { batchId: payloadId(event.payload), failure: error, records: [] };
      }
      if (outcome.failure) {
        ctx.metrics.count("messages-received", 1, op);
        const keys = await deadLetterBatch(ctx, outcome, payload, meta);
        return {
          received: 1,
          stored: 0,
          duplicates: 0,
          partial: 0,
          deadLettered: keys.length,
          dlqKeys: keys,
        };
      }
      ctx.metrics.count("messages-received", outcome.records.length, op);
      const keys = await deadLetterRecords(ctx, outcome.records, {
        ...meta,
        batchId: outcome.batchId,
      });
      const summary = summarize(outcome.records, keys);
      requireRedelivery(outcome.records, summary);
      return summary;
    } finally {
      await ctx.metrics.flush();
    }
  };
}
