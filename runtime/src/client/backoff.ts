import type { RetryPolicy } from "../policy.js";

/** A source of uniform random numbers in [0, 1); injectable so tests get exact delays. */
export type RandomSource = () => number;

/**
 * The wait before retry number `retryIndex` (0-based: 0 is the wait before the second attempt).
 *
 * Returns `undefined` once the policy is used up, unless `holdLast` is set, in which case the
 * last delay repeats (a vehicle never stops trying to reconnect; the queue covers the gap).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retryIndex: number,
  random: RandomSource = Math.random,
  holdLast = false,
): number | undefined {
  const delays = policy.delaysMs;
  if (delays.length === 0) return undefined;
  let base = delays[retryIndex];
  if (base === undefined) {
    if (!holdLast) return undefined;
    base = delays[delays.length - 1] as number;
  }
  return applyJitter(base, policy.jitter, random);
}

/** Applies the policy's jitter mode to one base delay. */
export function applyJitter(
  baseMs: number,
  jitter: RetryPolicy["jitter"],
  random: RandomSource = Math.random,
): number {
  switch (jitter) {
    case "none":
      return baseMs;
    case "full":
      // "Full jitter": uniform in [0, base] spreads a fleet's reconnects the most.
      return Math.round(random() * baseMs);
    case "equal":
      // "Equal jitter": keeps at least half the delay so no client retries immediately.
      return Math.round(baseMs / 2 + random() * (baseMs / 2));
  }
}

/** All retry delays of a policy, in order (`policy.attempts` values). */
export function retryDelays(policy: RetryPolicy, random: RandomSource = Math.random): number[] {
  const out: number[] = [];
  for (let i = 0; i < policy.attempts; i++) {
    const d = retryDelayMs(policy, i, random);
    if (d === undefined) break;
    out.push(d);
  }
  return out;
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
