import type { TimeSeriesRejectCode } from "./ports.js";

/**
 * Maps a Timestream rejection reason to a code. Timestream reports reasons as text, e.g.
 * "The record timestamp is outside the time range [...] of the memory store." or a
 * version conflict with `ExistingVersion` set.
 */
export function timestreamRejectCode(
  reason: string,
  existingVersion?: number,
): TimeSeriesRejectCode {
  if (existingVersion !== undefined || /version/i.test(reason)) return "conflicting-version";
  if (/time range|retention|memory store|too old|future/i.test(reason)) {
    return "outside-retention-window";
  }
  if (/invalid|dimension|measure/i.test(reason)) return "invalid-record";
  return "unknown";
}
