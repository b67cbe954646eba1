/**
 * A reader of zstd frame structure (RFC 8878 §3.1), enough to bound decompressed size
 * before any byte is decompressed. It walks frame headers and block headers; it does not
 * decode compressed blocks.
 */

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** RFC 8878 §3.1.1.2.4: Block_Maximum_Size = min(Window_Size, 128 KiB). */
export const ZSTD_BLOCK_SIZE_MAX = 128 * 1024;

/** Thrown when bytes are not a well-formed sequence of zstd frames. */
export class ZstdFrameFormatError extends Error {
  override readonly name = "ZstdFrameFormatError";
}

/** What the structure of one zstd frame says about its content. */
export interface ZstdFrameInfo {
  readonly kind: "zstd" | "skippable";
  /** Byte offset of the frame in the input and its total length. */
  readonly offset: number;
  readonly length: number;
  /** Frame_Content_Size, or undefined when the header does not declare it. */
  readonly contentSize: bigint | undefined;
  /**
   * Largest content the blocks can regenerate: Raw and RLE block sizes are exact, each
   * Compressed block counts as Block_Maximum_Size. A lying Frame_Content_Size cannot make
   * the decoder produce more than this.
   */
  readonly maxRegeneratedSize: number;
}

/**
 * Parses every frame in `input` (zstd and skippable frames, concatenated).
 * Throws ZstdFrameFormatError on bad magic, reserved bits, reserved block types or truncation.
 */
export function readZstdFrames(input: Uint8Array): ZstdFrameInfo[] {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const frames: ZstdFrameInfo[] = [];
  let pos = 0;
  if (input.byteLength === 0) throw new ZstdFrameFormatError("empty input");
  while (pos < input.byteLength) {
    need(input, pos, 4, "magic number");
    const magic = view.getUint32(pos, true);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(input, pos + 4, 4, "skippable frame size");
      const size = view.getUint32(pos + 4, true);
      need(input, pos + 8, size, "skippable frame content");
      frames.push({
        kind: "skippable",
        offset: pos,
        length: 8 + size,
        contentSize: 0n,
        maxRegeneratedSize: 0,
      });
      pos += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) {
      throw new ZstdFrameFormatError(`bad magic 0x${magic.toString(16)} at offset ${pos}`);
    }
    frames.push(readFrame(input, view, pos));
    pos += (frames[frames.length - 1] as ZstdFrameInfo).length;
  }
  return frames;
}

function readFrame(input: Uint8Array, view: DataView, start: number): ZstdFrameInfo {
  let pos = start + 4;
  need(input, pos, 1, "frame header descriptor");
  const fhd = input[pos] as number;
  pos += 1;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const reserved = (fhd >> 3) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictIdFlag = fhd & 3;
  if (reserved) throw new ZstdFrameFormatError("reserved bit set in frame header descriptor");

  let windowSize = Number.POSITIVE_INFINITY;
  if (!singleSegment) {
    need(input, pos, 1, "window descriptor");
    const wd = input[pos] as number;
    pos += 1;
    const exponent = wd >> 3;
    const mantissa = wd & 7;
    const windowBase = 2 ** (10 + exponent);
    windowSize = windowBase + (windowBase / 8) * mantissa;
  }
  const dictIdSize = [0, 1, 2, 4][dictIdFlag] as number;
  need(input, pos, dictIdSize, "dictionary id");
  pos += dictIdSize;

  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  need(input, pos, fcsSize, "frame content size");
  let contentSize: bigint | undefined;
  if (fcsSize === 1) contentSize = BigInt(input[pos] as number);
  else if (fcsSize === 2) contentSize = BigInt(view.getUint16(pos, true) + 256);
  else if (fcsSize === 4) contentSize = BigInt(view.getUint32(pos, true));
  else if (fcsSize === 8) contentSize = view.getBigUint64(pos, true);
  pos += fcsSize;

  if (singleSegment && contentSize !== undefined) {
    // Single segment: the window is the whole content.
    windowSize = Number(contentSize);
  }
  const blockMax = Math.min(windowSize, ZSTD_BLOCK_SIZE_MAX);

  let maxRegeneratedSize = 0;
  for (;;) {
    need(input, pos, 3, "block header");
    const header =
      (input[pos] as number) |
      ((input[pos + 1] as number) << 8) |
      ((input[pos + 2] as number) << 16);
    pos += 3;
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new ZstdFrameFormatError("reserved block type");
    if (size > ZSTD_BLOCK_SIZE_MAX) throw new ZstdFrameFormatError("block larger than 128 KiB");
    if (type === 0) {
      need(input, pos, size, "raw block");
      pos += size;
      maxRegeneratedSize += size;
    } else if (type === 1) {
      need(input, pos, 1, "RLE block");
      pos += 1;
      maxRegeneratedSize += size;
    } else {
      need(input, pos, size, "compressed block");
      pos += size;
      maxRegeneratedSize += blockMax;
    }
    if (last) break;
  }
  if (checksum) {
    need(input, pos, 4, "content checksum");
    pos += 4;
  }
  return { kind: "zstd", offset: start, length: pos - start, contentSize, maxRegeneratedSize };
}

function need(input: Uint8Array, pos: number, n: number, what: string): void {
  if (pos + n > input.byteLength) {
    throw new ZstdFrameFormatError(`truncated input: ${what} at offset ${pos} needs ${n} bytes`);
  }
}

/**
 * Returns a copy of a single zstd frame with Frame_Content_Size set to `contentSize`.
 *
 * `@mongodb-js/zstd` compresses in streaming mode and writes no content size, which a bounded
 * decompressor must refuse. The size lives only in the frame header (blocks and the content
 * checksum do not depend on it), so the sender can stamp it after compressing: the decoder
 * then verifies that the content really has that size.
 */
export function setZstdContentSize(frame: Uint8Array, contentSize: number): Buffer {
  if (!Number.isSafeInteger(contentSize) || contentSize < 0) {
    throw new RangeError(`bad content size ${contentSize}`);
  }
  const frames = readZstdFrames(frame);
  const only = frames[0];
  if (frames.length !== 1 || !only || only.kind !== "zstd") {
    throw new ZstdFrameFormatError("expected exactly one zstd frame");
  }
  if (only.contentSize !== undefined) {
    if (only.contentSize !== BigInt(contentSize)) {
      throw new ZstdFrameFormatError(`frame already declares ${only.contentSize} bytes`);
    }
    return Buffer.from(frame);
  }
  const fhd = frame[4] as number;
  // No FCS and not single-segment: a Window_Descriptor byte follows the descriptor.
  const dictIdSize = [0, 1, 2, 4][fhd & 3] as number;
  const insertAt = 4 + 1 + 1 + dictIdSize;
  let flag: number;
  const field = Buffer.alloc(
    contentSize >= 256 && contentSize < 65_792 ? 2 : contentSize < 2 ** 32 ? 4 : 8,
  );
  if (field.length === 2) {
    flag = 1;
    field.writeUInt16LE(contentSize - 256);
  } else if (field.length === 4) {
    flag = 2; // also for sizes < 256: the 1-byte form exists only for single-segment frames
    field.writeUInt32LE(contentSize);
  } else {
    flag = 3;
    field.writeBigUInt64LE(BigInt(contentSize));
  }
  const out = Buffer.concat([
    Buffer.from(frame.subarray(0, insertAt)),
    field,
    Buffer.from(frame.subarray(insertAt)),
  ]);
  out[4] = (fhd & 0x3f) | (flag << 6);
  return out;
}
