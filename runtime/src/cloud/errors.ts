/** What kind of downstream failure happened; drives DLQ error types and metrics. */
export type DownstreamFailureKind =
  "throttled" | "unavailable" | "timeout" | "connection" | "circuit-open" | "rejected" | "other";

/**
 * A downstream call (DynamoDB, Timestream, S3) failed after the retry policy was used up, or
 * was not attempted because the circuit is open. `retryable` tells the handler whether a later
 * replay can succeed (then: DLQ + replay), `cause` keeps the last underlying error.
 */
export class DownstreamError extends Error {
  override readonly name = "DownstreamError";
  constructor(
    readonly downstream: string,
    readonly kind: DownstreamFailureKind,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
