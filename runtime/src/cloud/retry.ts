import type { RetryPolicy } from "../policy.js";
import type { DownstreamFailureKind } from "./errors.js";
import { DownstreamError } from "./errors.js";

/** Returns a number in [0, 1); injectable so jitter is testable. */
export type RandomSource = () => number;
/** Waits `ms` milliseconds; injectable so schedules are testable without real time. */
export type Sleep = (ms: number) => Promise<void>;

/** Real-time sleep. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Error names (SDK v3 sets `name` to the service error code) that mean "try again later".
const THROTTLED = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "SlowDown",
]);
const UNAVAILABLE = new Set([
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
  "InternalServerException",
  "InternalFailure",
]);
const TIMEOUT = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Classifies an error thrown by an AWS SDK v3 client (or its HTTP layer) into a failure kind.
 * Looks through `cause` and AggregateError members, because Node wraps socket errors.
 */
export function classifyAwsError(error: unknown, depth = 0): DownstreamFailureKind {
  if (typeof error !== "object" || error === null || depth > 4) return "other";
  const e = error as ErrorLike;
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : "";
  if (error instanceof DownstreamError) return error.kind;
  if (THROTTLED.has(name) || THROTTLED.has(code)) return "throttled";
  if (UNAVAILABLE.has(name) || UNAVAILABLE.has(code)) return "unavailable";
  if (TIMEOUT.has(name) || TIMEOUT.has(code)) return "timeout";
  if (CONNECTION_CODES.has(code)) return "connection";
  // "Cannot acquire connection" style errors from a saturated pool.
  if (typeof e.message === "string" && /acquire (a )?(connection|socket)/i.test(e.message)) {
    return "connection";
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === 429) return "throttled";
  if (status === 500 || status === 502 || status === 503 || status === 504) return "unavailable";
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const kind = classifyAwsError(inner, depth + 1);
      if (kind !== "other") return kind;
    }
  }
  if (e.cause !== undefined) return classifyAwsError(e.cause, depth + 1);
  return "other";
}

/** True for throttling, 5xx/ServiceUnavailable, timeouts and connection failures. */
export function isRetryableAwsError(error: unknown): boolean {
  const kind = classifyAwsError(error);
  return kind !== "other" && kind !== "rejected" && kind !== "circuit-open";
}

/**
 * The wait before retry number `retryIndex` (0-based) under `policy`, jitter applied:
 * `full` → uniform in [0, d]; `equal` → d/2 + uniform in [0, d/2]; `none` → d.
 * Past the end of `delaysMs` the last delay is reused.
 */
export function backoffDelay(
  policy: RetryPolicy,
  retryIndex: number,
  random: RandomSource,
): number {
  const delays = policy.delaysMs;
  const base = delays[Math.min(retryIndex, delays.length - 1)] ?? 0;
  switch (policy.jitter) {
    case "none":
      return base;
    case "full":
      return random() * base;
    case "equal":
      return base / 2 + (random() * base) / 2;
  }
}

/** Information passed to `onRetry` before each wait. */
export interface RetryEvent {
  readonly retryIndex: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** How `withRetry` retries. Only `policy` is required. */
export interface RetryOptions {
  readonly policy: RetryPolicy;
  /** Which errors are worth retrying; default `isRetryableAwsError`. */
  readonly isRetryable?: (error: unknown) => boolean;
  readonly random?: RandomSource;
  readonly sleep?: Sleep;
  /** Called before each wait, e.g. to count throttled attempts. */
  readonly onRetry?: (event: RetryEvent) => void;
}

/**
 * Runs `fn`, retrying retryable errors up to `policy.attempts` times with the policy's delays.
 * Rethrows the last error when retries are exhausted or the error is not retryable.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const isRetryable = options.isRetryable ?? isRetryableAwsError;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? realSleep;
  for (let retryIndex = 0; ; retryIndex++) {
    try {
      return await fn();
    } catch (error) {
      if (retryIndex >= options.policy.attempts || !isRetryable(error)) throw error;
      const delayMs = backoffDelay(options.policy, retryIndex, random);
      options.onRetry?.({ retryIndex, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** Wraps an SDK error into a DownstreamError naming the downstream (idempotent for DownstreamErrors). */
export function toDownstreamError(downstream: string, error: unknown): DownstreamError {
  if (error instanceof DownstreamError) return error;
  const kind = classifyAwsError(error);
  const message = error instanceof Error ? error.message || error.name : String(error);
  return new DownstreamError(
    downstream,
    kind,
    isRetryableAwsError(error),
    `${downstream}: ${kind}: ${message}`,
    { cause: error },
  );
}

/**
 * Calls a downstream with an optional retry policy and turns any final failure into a
 * DownstreamError (kind + retryable), the one error type handlers need to understand.
 */
export async function callDownstream<T>(
  downstream: string,
  fn: () => Promise<T>,
  retry?: RetryOptions,
): Promise<T> {
  try {
    return retry ? await withRetry(fn, retry) : await fn();
  } catch (error) {
    throw toDownstreamError(downstream, error);
  }
}
