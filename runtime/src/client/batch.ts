import { compress, decompress } from "@mongodb-js/zstd";
import { crc32 } from "node:zlib";
import type { BatchPolicy } from "../policy.js";
import { PayloadCorruptionError, V2cClientError } from "./errors.js";
import type { BatchSplitEvent } from "./events.js";

/**
 * The batch envelope format belongs to the generated code (e.g. `TelemetryBatchProto`); this
 * module only needs to encode records + checksum into bytes and back.
 */
export interface BatchCodec {
  /** Encodes the envelope around already-encoded records and their checksum. */
  encode(records: readonly Uint8Array[], checksum: number): Uint8Array;
  /** Decodes an envelope back to its records and the checksum it carries. */
  decode(bytes: Uint8Array): { records: Uint8Array[]; checksum: number };
}

/** A batch ready to publish: the zstd-compressed envelope and what it holds. */
export interface EncodedBatch {
  readonly records: readonly Uint8Array[];
  readonly checksum: number;
  /** Envelope size before compression. */
  readonly encodedBytes: number;
  readonly compressed: Buffer;
}

/** One record alone exceeds the batch's compressed size limit: splitting cannot help. */
export class RecordTooLargeError extends V2cClientError {
  constructor(
    readonly compressedBytes: number,
    readonly limit: number,
  ) {
    super(
      "RECORD_TOO_LARGE",
      `a single record compresses to ${compressedBytes} bytes, over the batch limit of ${limit}`,
    );
  }
}

/** CRC-32 over the records in order (the same value as over their concatenation), unsigned. */
export function batchChecksum(records: readonly Uint8Array[]): number {
  let crc = 0;
  for (const r of records) crc = crc32(r, crc);
  return crc >>> 0;
}

/** Splits a list into two halves (the first half gets the extra element when odd). */
export function splitInHalves<T>(items: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/**
 * Encodes and compresses one batch at the policy's zstd level, then proves the bytes are
 * good before they leave the vehicle: decompress, decode, recompute the checksum.
 * A corrupting codec or compressor surfaces here as `PayloadCorruptionError`, not in the cloud.
 */
export async function encodeBatch(
  records: readonly Uint8Array[],
  policy: Pick<BatchPolicy, "zstdLevel">,
  codec: BatchCodec,
): Promise<EncodedBatch> {
  const checksum = batchChecksum(records);
  const encoded = codec.encode(records, checksum);
  const compressed = await compress(
    Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength),
    policy.zstdLevel,
  );
  const decoded = await decodeBatch(compressed, codec);
  if (decoded.checksum !== checksum || decoded.records.length !== records.length) {
    throw new PayloadCorruptionError(checksum, decoded.checksum);
  }
  return { records, checksum, encodedBytes: encoded.byteLength, compressed };
}

/**
 * Decompresses and decodes a batch and checks that the carried checksum matches the records;
 * throws `PayloadCorruptionError` otherwise.
 */
export async function decodeBatch(
  compressed: Uint8Array,
  codec: BatchCodec,
): Promise<{ records: Uint8Array[]; checksum: number }> {
  const bytes = await decompress(
    Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength),
  );
  const { records, checksum } = codec.decode(bytes);
  const actual = batchChecksum(records);
  if (actual !== checksum >>> 0) throw new PayloadCorruptionError(checksum >>> 0, actual);
  return { records, checksum: actual };
}

/**
 * Builds publishable batches from records, enforcing `maxMessages` and `maxCompressedBytes`
 * by splitting in halves recursively (each split is reported through `onSplit`).
 */
export async function buildBatches(
  records: readonly Uint8Array[],
  policy: Pick<BatchPolicy, "maxMessages" | "maxCompressedBytes" | "zstdLevel">,
  codec: BatchCodec,
  onSplit?: (event: BatchSplitEvent) => void,
): Promise<EncodedBatch[]> {
  if (records.length === 0) return [];
  if (records.length > policy.maxMessages) {
    const [a, b] = splitInHalves(records);
    onSplit?.({ reason: "max-messages", records: records.length, into: [a.length, b.length] });
    return [
      ...(await buildBatches(a, policy, codec, onSplit)),
      ...(await buildBatches(b, policy, codec, onSplit)),
    ];
  }
  const batch = await encodeBatch(records, policy, codec);
  if (batch.compressed.byteLength <= policy.maxCompressedBytes) return [batch];
  if (records.length === 1)
    throw new RecordTooLargeError(batch.compressed.byteLength, policy.maxCompressedBytes);
  const [a, b] = splitInHalves(records);
  onSplit?.({
    reason: "max-compressed-bytes",
    records: records.length,
    into: [a.length, b.length],
  });
  return [
    ...(await buildBatches(a, policy, codec, onSplit)),
    ...(await buildBatches(b, policy, codec, onSplit)),
  ];
}

/**
 * Collects encoded records until a batch is due: `maxMessages` reached, or `intervalMs`
 * elapsed since the first record with at least `minMessages` collected. `drain` takes
 * whatever is there (e.g. at shutdown) regardless.
 */
export class BatchAccumulator {
  private records: Uint8Array[] = [];
  private firstAt: number | undefined;

  constructor(
    private readonly policy: Pick<BatchPolicy, "minMessages" | "maxMessages" | "intervalMs">,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Adds one encoded record. */
  add(record: Uint8Array): void {
    if (this.records.length === 0) this.firstAt = this.clock();
    this.records.push(record);
  }

  /** Records waiting. */
  get size(): number {
    return this.records.length;
  }

  /** Whether a batch should be built now. */
  ready(): boolean {
    const n = this.records.length;
    if (n >= this.policy.maxMessages) return true;
    if (n === 0 || this.firstAt === undefined) return false;
    return this.clock() - this.firstAt >= this.policy.intervalMs && n >= this.policy.minMessages;
  }

  /** Removes and returns all waiting records, oldest first. */
  drain(): Uint8Array[] {
    const out = this.records;
    this.records = [];
    this.firstAt = undefined;
    return out;
  }
}
