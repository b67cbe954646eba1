import { randomBytes } from "node:crypto";
import type { DeadLetterEntry } from "./ports.js";

/** Top-level prefix of every dead-letter key. */
export const DLQ_ROOT = "dlq";

/** The parts of a dead-letter key. */
export interface DeadLetterKeyParts {
  readonly errorType: string;
  readonly yyyy: string;
  readonly mm: string;
  readonly dd: string;
  readonly vehicleId: string;
  readonly id: string;
  /** What makes the key unique (absent on keys written before keys were unique). */
  readonly nonce?: string;
}

/** A fresh key suffix: time (base 36) + 8 random hex digits; sorts by time. */
export function dlqNonce(nowMs: number = Date.now()): string {
  return `${nowMs.toString(36).padStart(9, "0")}${randomBytes(4).toString("hex")}`;
}

// Percent-encode anything outside a conservative set so a segment can never contain "/" or
// be "." / "..": keys are safe as S3 keys and as relative file paths, and decode back exactly.
function encodeSegment(value: string): string {
  if (value.length === 0) throw new RangeError("empty DLQ key segment");
  const encoded = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return encoded.startsWith(".") ? `%2E${encoded.slice(1)}` : encoded;
}

/**
 * The key of a dead-letter entry:
 * `dlq/{error_type}/{yyyy}/{mm}/{dd}/{vehicle}/{id}+{nonce}.json`, date in UTC from
 * `receivedAt`, id = message id, else batch id, nonce = `dlqNonce()` (given by the adapter).
 * The nonce makes every entry's key its own: two batches reusing an id, or one message
 * dead-lettered twice, never overwrite each other ("+" is percent-encoded inside segments).
 */
export function dlqKey(entry: DeadLetterEntry, nonce: string = dlqNonce()): string {
  const id = entry.messageId ?? entry.batchId;
  if (id === undefined) throw new RangeError("a DLQ entry needs a messageId or a batchId");
  const received = new Date(entry.receivedAt);
  if (Number.isNaN(received.getTime())) throw new RangeError(`bad receivedAt: ${entry.receivedAt}`);
  const yyyy = String(received.getUTCFullYear()).padStart(4, "0");
  const mm = String(received.getUTCMonth() + 1).padStart(2, "0");
  const dd = String(received.getUTCDate()).padStart(2, "0");
  return [
    DLQ_ROOT,
    encodeSegment(entry.errorType),
    yyyy,
    mm,
    dd,
    encodeSegment(entry.vehicleId),
    `${encodeSegment(id)}+${encodeSegment(nonce)}.json`,
  ].join("/");
}

/**
 * A key prefix for listing: by error type, optionally narrowed to a UTC day and a vehicle
 * (Runbook 2: "query DLQ messages by error type").
 */
export function dlqPrefix(errorType?: string, day?: Date, vehicleId?: string): string {
  const parts = [DLQ_ROOT];
  if (errorType !== undefined) {
    parts.push(encodeSegment(errorType));
    if (day !== undefined) {
      parts.push(
        String(day.getUTCFullYear()).padStart(4, "0"),
        String(day.getUTCMonth() + 1).padStart(2, "0"),
        String(day.getUTCDate()).padStart(2, "0"),
      );
      if (vehicleId !== undefined) parts.push(encodeSegment(vehicleId));
    }
  }
  return `${parts.join("/")}/`;
}

/** Splits a key made by `dlqKey` back into its parts; undefined if it is not such a key. */
export function parseDlqKey(key: string): DeadLetterKeyParts | undefined {
  const parts = key.split("/");
  if (parts.length !== 7 || parts[0] !== DLQ_ROOT) return undefined;
  const [, errorType, yyyy, mm, dd, vehicleId, file] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{4}$/.test(yyyy) || !/^\d{2}$/.test(mm) || !/^\d{2}$/.test(dd)) return undefined;
  if (!file.endsWith(".json")) return undefined;
  const name = file.slice(0, -".json".length);
  const plus = name.lastIndexOf("+");
  try {
    return {
      errorType: decodeURIComponent(errorType),
      yyyy,
      mm,
      dd,
      vehicleId: decodeURIComponent(vehicleId),
      id: decodeURIComponent(plus < 0 ? name : name.slice(0, plus)),
      ...(plus < 0 ? {} : { nonce: decodeURIComponent(name.slice(plus + 1)) }),
    };
  } catch {
    return undefined;
  }
}
