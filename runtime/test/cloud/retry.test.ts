import { describe, expect, it } from "vitest";
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import type { RetryPolicy } from "../../src/policy.js";
import {
  backoffDelay,
  classifyAwsError,
  DownstreamError,
  isRetryableAwsError,
  withRetry,
} from "../../src/cloud/index.js";
import { awsError, recordingSleep } from "./faults.js";

const POLICY: RetryPolicy = { attempts: 3, delaysMs: [100, 200, 400], jitter: "none" };

describe("classifyAwsError / isRetryableAwsError", () => {
  it.each([
    [new ProvisionedThroughputExceededException({ message: "x", $metadata: {} }), "throttled"],
    [awsError("ThrottlingException", 400), "throttled"],
    [awsError("RequestLimitExceeded", 400), "throttled"],
    [awsError("ServiceUnavailable", 503), "unavailable"],
    [awsError("SomethingNew", 503), "unavailable"],
    [Object.assign(new Error("t"), { name: "TimeoutError" }), "timeout"],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "connection"],
    [
      new Error("wrapped", { cause: Object.assign(new Error("r"), { code: "ECONNRESET" }) }),
      "connection",
    ],
    [new AggregateError([Object.assign(new Error("a"), { code: "ECONNREFUSED" })]), "connection"],
    [new Error("Cannot acquire connection from pool"), "connection"],
  ])("%s → %s (retryable)", (error, kind) => {
    expect(classifyAwsError(error)).toBe(kind);
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    [new ConditionalCheckFailedException({ message: "x", $metadata: {} })],
    [awsError("ValidationException", 400)],
    [new TypeError("bug")],
    ["a string"],
    [new DownstreamError("dynamodb", "circuit-open", true, "open")],
  ])("%s is not retried", (error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("applies no, full and equal jitter with the injected random", () => {
    expect(backoffDelay(POLICY, 1, () => 0.25)).toBe(200);
    expect(backoffDelay({ ...POLICY, jitter: "full" }, 1, () => 0.25)).toBe(50);
    expect(backoffDelay({ ...POLICY, jitter: "equal" }, 1, () => 0.25)).toBe(125);
    // Past the schedule the last delay is reused.
    expect(backoffDelay(POLICY, 9, () => 0)).toBe(400);
  });
});

describe("withRetry", () => {
  it("retries retryable errors on the schedule and returns the eventual result", async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    const seen: number[] = [];
    const result = await withRetry(
      async () => {
        if (++calls < 3) throw awsError("ThrottlingException", 400);
        return "ok";
      },
      { policy: POLICY, sleep, onRetry: (e) => seen.push(e.retryIndex) },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
    expect(seen).toEqual([0, 1]);
  });

  it("stops after `attempts` retries and rethrows the last error", async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    const last = awsError("ServiceUnavailable", 503);
    await expect(
      withRetry(
        async () => {
          calls++;
          throw last;
        },
        { policy: POLICY, sleep },
      ),
    ).rejects.toBe(last);
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
  });

  it("does not retry a non-retryable error", async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw awsError("ValidationException", 400);
        },
        { policy: POLICY, sleep },
      ),
    ).rejects.toThrow(/ValidationException/);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });
});
