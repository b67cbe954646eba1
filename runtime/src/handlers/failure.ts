import { DownstreamError } from "../cloud/errors.js";
import type { FailureSignal } from "./signals.js";

/**
 * Why a message (or a whole batch) was not stored: a vocabulary signal, and the downstream
 * (participant id) that raised it when it came from a write. The pair picks the DLQ reason
 * (see `reasonFor`); `detail` is for people.
 */
export class PipelineFailure extends Error {
  override readonly name = "PipelineFailure";
  constructor(
    readonly signal: FailureSignal,
    readonly detail: string,
    options?: { readonly downstream?: string; readonly cause?: unknown },
  ) {
    super(`${options?.downstream ? `${options.downstream}: ` : ""}${signal}: ${detail}`, options);
    this.downstream = options?.downstream;
  }
  /** The downstream participant id that raised the failure (undefined: the function itself). */
  readonly downstream: string | undefined;
}

// "Cannot acquire connection" style errors from a saturated client pool.
const POOL_EXHAUSTION = /acquire (a )?(connection|socket)/i;
// SQLite's lock errors (SQLITE_BUSY, SQLITE_LOCKED): a bounded lock wait ran out.
const LOCK_WAIT = /^SQLITE_(BUSY|LOCKED)/;

function mentions(error: unknown, pattern: RegExp, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const e = error as { message?: unknown; code?: unknown; cause?: unknown };
  if (typeof e.message === "string" && pattern.test(e.message)) return true;
  if (typeof e.code === "string" && pattern.test(e.code)) return true;
  return mentions(e.cause, pattern, depth + 1);
}

/**
 * Classifies any error a downstream port raised into a signal for that downstream:
 * throttled, timeout, pool-exhausted, rejected, else unavailable (a failure of unknown shape
 * is still a failure of the downstream: it is counted and dead-lettered, never dropped).
 */
export function downstreamFailure(downstream: string, error: unknown): PipelineFailure {
  if (error instanceof PipelineFailure) {
    if (error.downstream !== undefined) return error;
    return new PipelineFailure(error.signal, error.detail, { downstream, cause: error });
  }
  const detail = error instanceof Error ? error.message || error.name : String(error);
  const options = { downstream, cause: error };
  if (mentions(error, POOL_EXHAUSTION))
    return new PipelineFailure("pool-exhausted", detail, options);
  if (mentions(error, LOCK_WAIT)) return new PipelineFailure("timeout", detail, options);
  const kind = error instanceof DownstreamError ? error.kind : "other";
  switch (kind) {
    case "throttled":
      return new PipelineFailure("throttled", detail, options);
    case "timeout":
      return new PipelineFailure("timeout", detail, options);
    case "rejected":
      return new PipelineFailure("rejected", detail, options);
    default:
      return new PipelineFailure("unavailable", detail, options);
  }
}

/** Any thrown value as a PipelineFailure (unknown errors are "internal" and still dead-lettered). */
export function asFailure(error: unknown): PipelineFailure {
  if (error instanceof PipelineFailure) return error;
  return new PipelineFailure("internal", error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
