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
 * The key of a dead-letter entry: `dlq/{error_type}/{yyyy}/{mm}/{dd}/{vehicle_id}/{id}.json`,
 * date in UTC from `receivedAt`, id = message id, else batch id. Deterministic: the same entry
 * always maps to the same key, so dead-lettering a message twice overwrites rather than piles up.
 */
export function dlqKey(entry: DeadLetterEntry): string {
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
    `${encodeSegment(id)}.json`,
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
  try {
    return {
      errorType: decodeURIComponent(errorType),
      yyyy,
      mm,
      dd,
      vehicleId: decodeURIComponent(vehicleId),
      id: decodeURIComponent(file.slice(0, -".json".length)),
    };
  } catch {
    return undefined;
  }
}
