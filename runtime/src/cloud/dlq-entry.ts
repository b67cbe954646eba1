import type { DeadLetterEntry } from "./ports.js";

/** Inputs of `createDeadLetterEntry`; the payload is given as bytes. */
export interface DeadLetterInput {
  readonly reasonCode: string;
  /** An error class or name; when omitted, taken from `error`. */
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
  const errorType =
    input.errorType ??
    (err instanceof Error ? err.name : err === undefined ? "Unknown" : typeof err);
  const detail =
    input.detail ?? (err instanceof Error ? err.message : err === undefined ? "" : String(err));
  return {
    reasonCode: input.reasonCode,
    errorType,
    detail,
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
  return value as unknown as DeadLetterEntry;
}
