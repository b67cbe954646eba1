import { describe, expect, it } from "vitest";
import {
  BatchAccumulator,
  PayloadCorruptionError,
  RecordTooLargeError,
  batchChecksum,
  buildBatches,
  decodeBatch,
  encodeBatch,
  type BatchCodec,
  type BatchSplitEvent,
} from "../../src/client/index.js";
import { crc32 } from "node:zlib";
import { randomBytes } from "node:crypto";
import type { BatchPolicy } from "../../src/policy.js";
import { testCodec } from "./helpers.js";

const policy: BatchPolicy = {
  minMessages: 25,
  maxMessages: 50,
  maxCompressedBytes: 100 * 1024,
  intervalMs: 1000,
  zstdLevel: 3,
};
const records = (n: number, size = 200, random = false): Uint8Array[] =>
  Array.from({ length: n }, (_, i) =>
    random ? new Uint8Array(randomBytes(size)) : new Uint8Array(Buffer.alloc(size, `rec-${i};`)),
  );

describe("batch codec helpers", () => {
  it("checksum is CRC-32 over the records in order", () => {
    const rs = [Buffer.from("ab"), Buffer.from("cd")];
    expect(batchChecksum(rs)).toBe(crc32(Buffer.from("abcd")) >>> 0);
    expect(batchChecksum([rs[1]!, rs[0]!])).not.toBe(batchChecksum(rs));
  });

  it("compresses with zstd and round-trips to the same records", async () => {
    const rs = records(40);
    const b = await encodeBatch(rs, policy, testCodec);
    expect(b.compressed.byteLength).toBeLessThan(b.encodedBytes);
    const back = await decodeBatch(b.compressed, testCodec);
    expect(back.records.map((r) => Buffer.from(r).toString())).toEqual(
      rs.map((r) => Buffer.from(r).toString()),
    );
    expect(back.checksum).toBe(b.checksum);
  });

  it("FM-22 payload corruption: a corrupting encoder is caught before sending", async () => {
    const corrupting: BatchCodec = {
      encode: (rs, checksum) => {
        const bytes = testCodec.encode(rs, checksum);
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff; // one flipped byte inside the last record
        return bytes;
      },
      decode: testCodec.decode,
    };
    await expect(encodeBatch(records(10), policy, corrupting)).rejects.toBeInstanceOf(
      PayloadCorruptionError,
    );
  });

  it("FM-13 batch exceeds max messages: split into halves recursively", async () => {
    const splits: BatchSplitEvent[] = [];
    const out = await buildBatches(records(120), policy, testCodec, (e) => splits.push(e));
    expect(out.map((b) => b.records.length)).toEqual([30, 30, 30, 30]);
    expect(splits[0]).toEqual({ reason: "max-messages", records: 120, into: [60, 60] });
  });

  it("FM-13 batch exceeds max compressed bytes: split until each half fits", async () => {
    const small: BatchPolicy = { ...policy, maxCompressedBytes: 3000 };
    const splits: BatchSplitEvent[] = [];
    // Random bytes do not compress: 40 × 200 B ≈ 8 KB → needs 4 batches of 10.
    const out = await buildBatches(records(40, 200, true), small, testCodec, (e) => splits.push(e));
    expect(out.length).toBeGreaterThan(1);
    for (const b of out)
      expect(b.compressed.byteLength).toBeLessThanOrEqual(small.maxCompressedBytes);
    expect(out.reduce((n, b) => n + b.records.length, 0)).toBe(40);
    expect(splits.every((s) => s.reason === "max-compressed-bytes")).toBe(true);
    await expect(buildBatches(records(1, 5000, true), small, testCodec)).rejects.toBeInstanceOf(
      RecordTooLargeError,
    );
  });

  it("the accumulator is ready at maxMessages, or after the interval with minMessages", () => {
    let now = 0;
    const acc = new BatchAccumulator(policy, () => now);
    for (let i = 0; i < 24; i++) acc.add(new Uint8Array([i]));
    now = 2000;
    expect(acc.ready()).toBe(false); // interval passed but fewer than minMessages
    acc.add(new Uint8Array([24]));
    expect(acc.ready()).toBe(true);
    expect(acc.drain()).toHaveLength(25);
    for (let i = 0; i < 50; i++) acc.add(new Uint8Array([i]));
    expect(acc.ready()).toBe(true);
  });
});
