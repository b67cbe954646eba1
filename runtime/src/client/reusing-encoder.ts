/** A protobuf writer as ts-proto's codecs use it: `finish()` returns the bytes and resets it. */
export interface FinishingWriter {
  finish(): Uint8Array;
}

/** A ts-proto message codec's encode: `encode(message, writer?)` returns the writer. */
export interface EncodingCodec<T, W extends FinishingWriter> {
  encode(message: T, writer?: W): W;
}

/**
 * `message => bytes` with one writer reused across calls. ts-proto's `encode(message)` builds a
 * fresh writer per message, whose buffer then grows from its initial size every time: measured
 * at about twice the cost of the encoding itself. Encoding is synchronous and `finish()` resets
 * the writer, so one per codec is enough; a writer whose encode threw (half-written, with open
 * forks) is dropped, never reused.
 */
export function reusingEncoder<T, W extends FinishingWriter>(
  codec: EncodingCodec<T, W>,
): (message: T) => Uint8Array {
  let idle: W | undefined;
  return (message) => {
    const writer = idle;
    idle = undefined;
    const used = codec.encode(message, writer);
    const bytes = used.finish();
    idle = used;
    return bytes;
  };
}
