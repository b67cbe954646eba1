import type { DeadLetterEntry, DeadLetterType } from "./ports.js";

/** Inputs of `createDeadLetterEntry`; the payload is given as bytes. */
export interface DeadLetterInput {
  /**
   * `record` (the payload is one message) or `batch` (the payload is a batch as received,
   * replayed as a batch). Default: `batch` when only a batch id is given, else `record`.
   */
  readonly type?: DeadLetterType;
  /** The operation (handler route) whose pipeline replays the entry. */
  readonly operation?: string;
  readonly signal?: string;
  readonly downstream?: string;
  readonly pendingSinks?: readonly string[];
  readonly reasonCode: string;
  /**
   * The key's first segment (operators list by it); default: the reason code, so an entry is
   * always filed under its reason, never under an error class name.
   */
  readonly errorType?: string;
  readonly error?: unknown;
  readonly detail?: string;
  readonly vehicleId: string;
  readonly topic: string;
  readonly receivedAt: Date | number | string;
  readonly payload: Uint8Array;
  readonly messageId?: string;
  readonly batchId?: string;
  readonly attempt: number;
}

/**
 * Builds a dead-letter entry from what a handler has at hand: the raw payload (base64-encoded
 * as received, so a batch stays compressed for replay) and the error that stopped it.
 */
export function createDeadLetterEntry(input: DeadLetterInput): DeadLetterEntry {
  if (input.messageId === undefined && input.batchId === undefined) {
    throw new RangeError("a DLQ entry needs a messageId or a batchId");
  }
  const err = input.error;
  const errorType = input.errorType ?? input.reasonCode;
  const detail =
    input.detail ?? (err instanceof Error ? err.message : err === undefined ? "" : String(err));
  const type = input.type ?? (input.messageId === undefined ? "batch" : "record");
  return {
    type,
    ...(input.operation !== undefined ? { operation: input.operation } : {}),
    reasonCode: input.reasonCode,
    errorType,
    detail,
    ...(input.signal !== undefined ? { signal: input.signal } : {}),
    ...(input.downstream !== undefined ? { downstream: input.downstream } : {}),
    ...(input.pendingSinks !== undefined ? { pendingSinks: [...input.pendingSinks] } : {}),
    vehicleId: input.vehicleId,
    topic: input.topic,
    receivedAt: new Date(input.receivedAt).toISOString(),
    payloadBase64: Buffer.from(input.payload).toString("base64"),
    ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
    ...(input.batchId !== undefined ? { batchId: input.batchId } : {}),
    attempt: input.attempt,
  };
}

/** The payload bytes of an entry, for replay. */
export function deadLetterPayload(entry: DeadLetterEntry): Buffer {
  return Buffer.from(entry.payloadBase64, "base64");
}

/** Serialises an entry (stable key order, one JSON document). */
export function serializeDeadLetterEntry(entry: DeadLetterEntry): string {
  return `${JSON.stringify(entry, null, 2)}\n`;
}

/** Parses and checks a stored entry; throws on a document that is not a DLQ entry. */
export function parseDeadLetterEntry(text: string): DeadLetterEntry {
  const value = JSON.parse(text) as Record<string, unknown>;
  for (const field of [
    "reasonCode",
    "errorType",
    "detail",
    "vehicleId",
    "topic",
    "receivedAt",
    "payloadBase64",
  ]) {
    if (typeof value[field] !== "string")
      throw new TypeError(`DLQ entry: ${field} is not a string`);
  }
  if (typeof value.attempt !== "number") throw new TypeError("DLQ entry: attempt is not a number");
  if (value.type === undefined) {
    // Entries written before entries were typed: a message id means one record.
    value.type = typeof value.messageId === "string" ? "record" : "batch";
  } else if (value.type !== "record" && value.type !== "batch") {
    throw new TypeError("DLQ entry: type is neither record nor batch");
  }
  return value as unknown as DeadLetterEntry;
}

/** Inputs of `ruleActionDeadLetterEntry`: what a rule engine knows when its action failed. */
export interface RuleActionFailure {
  /** The operation whose handler the rule invokes (the replay route). */
  readonly operation: string;
  /** `record` for a record handler's rule, `batch` for a batch handler's. */
  readonly type: DeadLetterType;
  /** The reason code to file it under (e.g. the rule error action's). */
  readonly reasonCode: string;
  readonly error: unknown;
  readonly vehicleId: string;
  readonly topic: string;
  readonly receivedAt: Date | number | string;
  /** The message payload (decoded from the rule event's base64). */
  readonly payload: Uint8Array;
  /** An id for the entry (a message or batch id, or a hash of the payload). */
  readonly id: string;
  readonly attempt?: number;
}

/**
 * The DLQ entry of a failed rule action (the rule's error action): typed, with its operation,
 * filed under its reason code (not the error's class), so a replay re-drives a batch as a
 * batch through that operation's handler.
 */
export function ruleActionDeadLetterEntry(input: RuleActionFailure): DeadLetterEntry {
  return createDeadLetterEntry({
    type: input.type,
    operation: input.operation,
    reasonCode: input.reasonCode,
    errorType: input.reasonCode,
    error: input.error,
    vehicleId: input.vehicleId,
    topic: input.topic,
    receivedAt: input.receivedAt,
    payload: input.payload,
    ...(input.type === "batch" ? { batchId: input.id } : { messageId: input.id }),
    attempt: input.attempt ?? 1,
  });
}
