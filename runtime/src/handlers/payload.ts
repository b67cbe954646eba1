import { PipelineFailure } from "./failure.js";

// Standard base64 as the IoT rule's encode(*, 'base64') writes it: groups of 4, padded.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The number of bytes a well-formed base64 string decodes to (without decoding it). */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/** A payload that could not be opened, and the bytes to keep in its DLQ entry. */
export class PayloadFailure extends PipelineFailure {
  constructor(
    failure: PipelineFailure,
    /** What the DLQ entry keeps: nothing for an oversized payload, the raw text otherwise. */
    readonly kept: Uint8Array,
  ) {
    super(failure.signal, failure.detail);
  }
}

/**
 * Decodes the base64 payload of a rule event, refusing it first when it would decode to more
 * than `maxBytes` (the spec's packet limit) — the size is computed from the text, so a huge
 * payload costs no allocation — or when it is not base64 (Buffer.from would silently skip the
 * bad characters and hand the decoder a different message).
 */
export function decodeRulePayload(text: string, maxBytes: number): Buffer {
  // Upper bound first (cheap), then the exact figure.
  if (text.length > Math.ceil(maxBytes / 3) * 4 + 4 || base64DecodedLength(text) > maxBytes) {
    throw new PayloadFailure(
      new PipelineFailure(
        "too-large",
        `payload of about ${base64DecodedLength(text)} bytes is above the ${maxBytes}-byte limit`,
      ),
      new Uint8Array(0),
    );
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new PayloadFailure(
      new PipelineFailure("decode-error", "payload is not base64"),
      Buffer.from(text, "utf8"),
    );
  }
  return Buffer.from(text, "base64");
}
