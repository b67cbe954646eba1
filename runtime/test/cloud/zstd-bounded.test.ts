import { describe, expect, it } from "vitest";
import { compress } from "@mongodb-js/zstd";
import {
  DecompressionError,
  decompressBounded,
  readZstdFrames,
  setZstdContentSize,
} from "../../src/cloud/index.js";

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const BLOCK = 128 * 1024;
const ONE_MIB_CAP = { maxDecompressedBytes: 1024 * 1024 };

/**
 * A hand-built, valid zstd frame of `blocks` RLE blocks, each regenerating 128 KiB of `byte`
 * from 4 input bytes: 8192 blocks = 32 KiB of input, 1 GiB of output. `declared` goes into an
 * 8-byte Frame_Content_Size; undefined writes none.
 */
function rleBomb(blocks: number, declared: bigint | undefined, byte = 0): Buffer {
  const parts: Buffer[] = [];
  if (declared === undefined) {
    // FHD 0x00: no FCS, window descriptor follows (0x58: 2 MiB window).
    parts.push(Buffer.from([...MAGIC, 0x00, 0x58]));
  } else {
    const fcs = Buffer.alloc(8);
    fcs.writeBigUInt64LE(declared);
    // FHD 0xC0: 8-byte FCS, not single segment.
    parts.push(Buffer.from([...MAGIC, 0xc0, 0x58]), fcs);
  }
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = last | (1 << 1) | (BLOCK << 3); // RLE block of 128 KiB
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte]));
  }
  return Buffer.concat(parts);
}

function textPayload(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, length = 0; length < n; i++) {
    const line = `{"message_id":"m-${i}","speed_kmh":${(i * 7) % 180},"soc":${(i * 13) % 100}}`;
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join("\n").slice(0, n));
}

async function failure(promise: Promise<unknown>): Promise<DecompressionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecompressionError);
  return error as DecompressionError;
}

describe("decompressBounded (FM-11 decompression failure)", () => {
  it("the hand-built RLE frame is real zstd: a small one decompresses to what it declares", async () => {
    const out = await decompressBounded(rleBomb(2, BigInt(2 * BLOCK), 0x61), ONE_MIB_CAP);
    expect(out.length).toBe(2 * BLOCK);
    expect(out.every((b) => b === 0x61)).toBe(true);
  });

  it("FM-11: a 32 KiB frame declaring 1 GiB is rejected before decompressing, with bounded memory", async () => {
    const bomb = rleBomb(8192, 1n << 30n);
    expect(bomb.length).toBeLessThan(40_000);
    const before = process.memoryUsage().arrayBuffers;
    const error = await failure(decompressBounded(bomb, ONE_MIB_CAP));
    expect(error.failure).toBe("content-size-exceeds-cap");
    // Nothing near the 1 GiB of output was ever allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("FM-11: the same bomb without a declared size is rejected (content size absent)", async () => {
    const error = await failure(decompressBounded(rleBomb(8192, undefined), ONE_MIB_CAP));
    expect(error.failure).toBe("content-size-absent");
  });

  it("FM-11: a bomb lying about its size (declares 1 KiB) is caught by its block structure", async () => {
    const error = await failure(decompressBounded(rleBomb(8192, 1024n), ONE_MIB_CAP));
    expect(error.failure).toBe("block-structure-exceeds-cap");
  });

  it("FM-11: with bound-by-blocks, an undeclared bomb is still refused by its blocks", async () => {
    const error = await failure(
      decompressBounded(rleBomb(8192, undefined), {
        ...ONE_MIB_CAP,
        whenContentSizeAbsent: "bound-by-blocks",
      }),
    );
    expect(error.failure).toBe("block-structure-exceeds-cap");
  });

  it("FM-11: corrupt bytes → DecompressionError, never a crash or a raw error", async () => {
    expect(
      (await failure(decompressBounded(Buffer.from("not zstd at all"), ONE_MIB_CAP))).failure,
    ).toBe("malformed-frame");
    expect((await failure(decompressBounded(Buffer.alloc(0), ONE_MIB_CAP))).failure).toBe(
      "malformed-frame",
    );
    const payload = textPayload(10_000);
    const good = setZstdContentSize(await compress(payload, 3), payload.length);
    expect(
      (await failure(decompressBounded(good.subarray(0, good.length - 5), ONE_MIB_CAP))).failure,
    ).toBe("malformed-frame");
    // Same structure, scrambled block content: the decoder itself fails.
    const scrambled = Buffer.from(good);
    for (let i = 20; i < scrambled.length - 10; i += 3)
      scrambled[i] = (scrambled[i] as number) ^ 0xa5;
    const error = await failure(decompressBounded(scrambled, ONE_MIB_CAP));
    expect(["decoder-error", "size-mismatch", "malformed-frame"]).toContain(error.failure);
  });

  it("a real level-3 batch stamped with its size round-trips; unstamped it is refused by default", async () => {
    const payload = textPayload(10_000);
    const compressed = await compress(payload, 3);
    expect(readZstdFrames(compressed)[0]?.contentSize).toBeUndefined();
    expect((await failure(decompressBounded(compressed, ONE_MIB_CAP))).failure).toBe(
      "content-size-absent",
    );
    const stamped = setZstdContentSize(compressed, payload.length);
    expect(readZstdFrames(stamped)[0]?.contentSize).toBe(BigInt(payload.length));
    expect((await decompressBounded(stamped, ONE_MIB_CAP)).equals(payload)).toBe(true);
    // The bound-by-blocks mode accepts the unstamped frame: one compressed block ≤ 128 KiB.
    const out = await decompressBounded(compressed, {
      ...ONE_MIB_CAP,
      whenContentSizeAbsent: "bound-by-blocks",
    });
    expect(out.equals(payload)).toBe(true);
  });

  it("stamping works for every FCS width, and a wrong stamp is caught", async () => {
    for (const size of [10, 300, 70_000, 300_000]) {
      const payload = textPayload(size);
      const stamped = setZstdContentSize(await compress(payload, 3), size);
      expect((await decompressBounded(stamped, ONE_MIB_CAP)).equals(payload)).toBe(true);
    }
    const payload = textPayload(5_000);
    const lying = setZstdContentSize(await compress(payload, 3), 4_000);
    expect(["decoder-error", "size-mismatch"]).toContain(
      (await failure(decompressBounded(lying, ONE_MIB_CAP))).failure,
    );
  });

  it("a declared size over the cap is refused even when the data is honest", async () => {
    const payload = textPayload(20_000);
    const stamped = setZstdContentSize(await compress(payload, 3), payload.length);
    const error = await failure(decompressBounded(stamped, { maxDecompressedBytes: 10_000 }));
    expect(error.failure).toBe("content-size-exceeds-cap");
  });

  it("concatenated and skippable frames are walked; sizes add up against the cap", async () => {
    const a = textPayload(3_000);
    const b = textPayload(4_000);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const input = Buffer.concat([
      setZstdContentSize(await compress(a, 3), a.length),
      skippable,
      setZstdContentSize(await compress(b, 3), b.length),
    ]);
    expect(readZstdFrames(input).map((f) => f.kind)).toEqual(["zstd", "skippable", "zstd"]);
    expect((await decompressBounded(input, ONE_MIB_CAP)).equals(Buffer.concat([a, b]))).toBe(true);
    const error = await failure(decompressBounded(input, { maxDecompressedBytes: 5_000 }));
    expect(error.failure).toBe("content-size-exceeds-cap");
  });
});
