import { decompress as decodeFrames } from "fzstd";

/**
 * A drop-in for the `decompress` of `@mongodb-js/zstd`, in plain JavaScript (fzstd): the Lambda
 * bundles alias `@mongodb-js/zstd` to this module, so a bundle carries no native addon and runs
 * on either Lambda architecture whatever host built it. Cloud functions only decompress; the
 * bounded-size checks of `cloud/zstd-bounded.ts` run before this is called, as with the native
 * decoder. Concatenated frames decode to their concatenation, like the native decoder.
 */
export async function decompress(input: Buffer): Promise<Buffer> {
  const out = decodeFrames(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Compression is the vehicle's job (native `@mongodb-js/zstd`); a cloud bundle that reaches this
 * was bundled with a code path it must not have.
 */
export async function compress(): Promise<Buffer> {
  throw new Error(
    "zstd compression is not available in a Lambda bundle (portable decoder only); compress on the vehicle",
  );
}
