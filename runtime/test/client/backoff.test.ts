import { describe, expect, it } from "vitest";
import { applyJitter, retryDelayMs, retryDelays } from "../../src/client/backoff.js";
import type { RetryPolicy } from "../../src/policy.js";

const seedLike: RetryPolicy = {
  attempts: 5,
  delaysMs: [2000, 4000, 8000, 16000, 32000],
  jitter: "none",
};

describe("backoff", () => {
  it("returns the exact schedule without jitter and undefined after it", () => {
    expect(retryDelays(seedLike)).toEqual([2000, 4000, 8000, 16000, 32000]);
    expect(retryDelayMs(seedLike, 5)).toBeUndefined();
  });

  it("holds the last delay when asked (the reconnect loop never gives up)", () => {
    expect(retryDelayMs(seedLike, 9, Math.random, true)).toBe(32000);
  });

  it("full jitter is uniform in [0, delay] from the injected random source", () => {
    expect(applyJitter(1000, "full", () => 0)).toBe(0);
    expect(applyJitter(1000, "full", () => 0.25)).toBe(250);
    expect(applyJitter(1000, "full", () => 0.999)).toBe(999);
  });

  it("equal jitter keeps at least half the delay", () => {
    expect(applyJitter(1000, "equal", () => 0)).toBe(500);
    expect(applyJitter(1000, "equal", () => 0.5)).toBe(750);
    const policy: RetryPolicy = { attempts: 3, delaysMs: [100, 200, 400], jitter: "equal" };
    expect(retryDelays(policy, () => 1)).toEqual([100, 200, 400]);
  });
});
