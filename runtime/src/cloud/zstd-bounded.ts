import { decompress } from "@mongodb-js/zstd";
import { readZstdFrames, ZSTD_BLOCK_SIZE_MAX, ZstdFrameFormatError } from "./zstd-frame.js";

/** Why a payload could not be decompressed. */
export type DecompressionFailure =
  | "malformed-frame"
  | "content-size-absent"
  | "content-size-exceeds-cap"
  | "block-structure-exceeds-cap"
  | "decoder-error"
  | "size-mismatch";

/** A payload was rejected or could not be decompressed. Goes to the DLQ with the raw bytes. */
export class DecompressionError extends Error {
  override readonly name = "DecompressionError";
  constructor(
    readonly failure: DecompressionFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of `decompressBounded`. */
export interface BoundedDecompressOptions {
  /** Largest total decompressed size accepted, in bytes (from the spec: batch limits). */
  readonly maxDecompressedBytes: number;
  /**
   * What to do with a frame that does not declare its content size. "reject" (default) refuses
   * it; "bound-by-blocks" accepts it when its block structure alone proves the output fits the
   * cap (memory stays bounded either way). Frames from `@mongodb-js/zstd` carry no size unless
   * the sender stamps one with `setZstdContentSize`.
   */
  readonly whenContentSizeAbsent?: "reject" | "bound-by-blocks";
}

/**
 * Decompresses zstd `input` only if its frame headers prove the output stays small.
 *
 * Before decompressing, every frame must declare Frame_Content_Size (see
 * `whenContentSizeAbsent`), the declared sizes must sum to at most the cap, and the block
 * structure must not be able to regenerate more than cap + one block (so a frame that lies
 * about its size cannot blow memory either). The
 * `@mongodb-js/zstd` decoder has no output limit of its own, hence this check up front.
 * Peak memory is therefore at most about `maxDecompressedBytes + 128 KiB` plus the input.
 *
 * Trade-off: encoders that emit many small compressed blocks (block splitting at very high
 * levels) can be refused near the cap; level-3 frames (the spec's) emit full blocks.
 */
export async function decompressBounded(
  input: Uint8Array,
  options: BoundedDecompressOptions,
): Promise<Buffer> {
  const cap = options.maxDecompressedBytes;
  let frames;
  try {
    frames = readZstdFrames(input);
  } catch (error) {
    if (error instanceof ZstdFrameFormatError) {
      throw new DecompressionError("malformed-frame", `not a zstd payload: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  let declared = 0n;
  let structural = 0;
  let allDeclared = true;
  for (const frame of frames) {
    if (frame.contentSize === undefined) {
      if (options.whenContentSizeAbsent !== "bound-by-blocks") {
        throw new DecompressionError(
          "content-size-absent",
          `zstd frame at offset ${frame.offset} does not declare its content size`,
        );
      }
      allDeclared = false;
    } else {
      declared += frame.contentSize;
    }
    structural += frame.maxRegeneratedSize;
  }
  if (declared > BigInt(cap)) {
    throw new DecompressionError(
      "content-size-exceeds-cap",
      `declared content size ${declared} exceeds the cap of ${cap} bytes`,
    );
  }
  // Without declared sizes the block bound itself must fit the cap (no slack).
  if (structural > cap + (allDeclared ? ZSTD_BLOCK_SIZE_MAX : 0)) {
    throw new DecompressionError(
      "block-structure-exceeds-cap",
      `blocks can regenerate up to ${structural} bytes, more than the cap of ${cap} bytes`,
    );
  }
  let output: Buffer;
  try {
    output = await decompress(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  } catch (error) {
    throw new DecompressionError("decoder-error", `zstd decoder failed: ${String(error)}`, {
      cause: error,
    });
  }
  if (allDeclared ? BigInt(output.byteLength) !== declared : output.byteLength > cap) {
    throw new DecompressionError(
      "size-mismatch",
      `decompressed ${output.byteLength} bytes; declared ${declared}, cap ${cap}`,
    );
  }
  return output;
}
