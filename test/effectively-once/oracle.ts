/**
 * An independent statement of what the test spec accepts, for the hostile-input fuzz: given a
 * rule event, which messages must end up stored and how many DLQ entries must be written.
 * Written from the spec's rules (packet limit, base64, protobuf, schema version, ranges, enum,
 * vehicle, time window; batch: compressed size, bounded zstd, checksum, item count) rather
 * than from the pipeline's code. The bounded zstd decoder is trusted (it has its own tests).
 */
import { DecompressionError, decompressBounded } from "../../runtime/src/cloud/zstd-bounded.js";
import type { RuleEvent } from "../../runtime/src/handlers/event.js";
import {
  MAX_PACKET,
  batchPolicy,
  decodeBatch,
  decodeReading,
  parseBatchTopic,
  parseRecordTopic,
  recordPolicy,
  recordsCrc,
} from "../../runtime/test/handlers/test-spec.js";

/** A valid record: its key and its time-series point (identity and values). */
export interface ValidRecord {
  /** `vehicle/messageId`. */
  readonly key: string;
  /** `vehicle/time`: a time-series store holds one point per vehicle and time. */
  readonly point: string;
  /** The point's measures (the numbers of the record but its time), canonical JSON. */
  readonly measures: string;
}

/** What one event must produce. */
export interface Expectation {
  /** Every valid record, in order (duplicates are resolved by the caller). */
  readonly valid: readonly ValidRecord[];
  /** Records (or whole batches) that must be dead-lettered for being invalid. */
  readonly rejects: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function payloadBytes(event: RuleEvent): Buffer | undefined {
  const text = event.payload;
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.length > MAX_PACKET ? undefined : bytes;
}

/** The key of a record if the spec accepts it for `vehicle` at `nowMs`, else undefined. */
export function acceptedRecord(
  bytes: Uint8Array,
  vehicle: string,
  nowMs: number,
): ValidRecord | undefined {
  if (bytes.length === 0) return undefined;
  let r;
  try {
    r = decodeReading(bytes);
  } catch {
    return undefined;
  }
  if (r.schemaVersion !== 1) return undefined;
  if (r.messageId === "") return undefined;
  if (!(r.value >= -1000 && r.value <= 1000)) return undefined;
  if (![0, 1, 2].includes(r.mode)) return undefined;
  if (r.vehicleId !== vehicle) return undefined;
  if (r.timeMs > nowMs + recordPolicy.maxClockSkewMs || r.timeMs < nowMs - recordPolicy.maxAgeMs)
    return undefined;
  return {
    key: `${vehicle}/${r.messageId}`,
    point: `${vehicle}/${r.timeMs}`,
    measures: JSON.stringify({ schemaVersion: r.schemaVersion, value: r.value }),
  };
}

/** What `event` must produce at `nowMs` (duplicates are resolved by the caller). */
export async function expectFor(event: RuleEvent, nowMs: number): Promise<Expectation> {
  const recordVehicle = parseRecordTopic(event.topic);
  const bytes = payloadBytes(event);
  if (recordVehicle !== undefined) {
    const key = bytes ? acceptedRecord(bytes, recordVehicle, nowMs) : undefined;
    return key ? { valid: [key], rejects: 0 } : { valid: [], rejects: 1 };
  }
  const vehicle = parseBatchTopic(event.topic)!;
  if (!bytes || bytes.length > batchPolicy.maxCompressedBytes) return { valid: [], rejects: 1 };
  let raw: Buffer;
  try {
    raw = await decompressBounded(bytes, {
      maxDecompressedBytes: batchPolicy.maxDecompressedBytes,
      whenContentSizeAbsent: "bound-by-blocks",
    });
  } catch (error) {
    if (error instanceof DecompressionError) return { valid: [], rejects: 1 };
    throw error;
  }
  if (raw.length === 0) return { valid: [], rejects: 1 };
  let batch;
  try {
    batch = decodeBatch(raw);
  } catch {
    return { valid: [], rejects: 1 };
  }
  if (batch.schemaVersion !== 1 || batch.records.length > 50 || batch.vehicleId !== vehicle)
    return { valid: [], rejects: 1 };
  if (recordsCrc(batch.records) !== batch.crc >>> 0) return { valid: [], rejects: 1 };
  const valid: ValidRecord[] = [];
  let rejects = 0;
  const seen = new Set<string>();
  for (const record of batch.records) {
    const ok = acceptedRecord(record, vehicle, nowMs);
    if (ok === undefined) rejects++;
    else if (!seen.has(ok.key)) {
      // The same message twice in one batch: the second is a duplicate.
      seen.add(ok.key);
      valid.push(ok);
    }
  }
  return { valid, rejects };
}
