import { describe, expect, it } from "vitest";
import type { CircuitBreakerPolicy } from "../../src/policy.js";
import { DownstreamCircuitBreaker, DownstreamError } from "../../src/cloud/index.js";
import { awsError } from "./faults.js";

// "Opens after 10 failures/minute"; the open period is shortened for the test.
const TEN_PER_MINUTE_FOR_TESTS: CircuitBreakerPolicy = {
  openAfterFailures: 10,
  windowMs: 60_000,
  halfOpenAfterMs: 40,
  halfOpenTraffic: 0.5,
};

const fail = () => Promise.reject(awsError("ServiceUnavailable", 503));
const ok = () => Promise.resolve("ok");
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("DownstreamCircuitBreaker", () => {
  it("opens at the 10th failure inside the window, not before", async () => {
    let now = 0;
    const breaker = new DownstreamCircuitBreaker({
      name: "store-b",
      policy: TEN_PER_MINUTE_FOR_TESTS,
      now: () => now,
    });
    for (let i = 0; i < 9; i++) {
      await breaker.execute(fail).catch(() => undefined);
      // Successes in between do not erase counted failures.
      await breaker.execute(ok);
      now += 1_000;
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.failuresInWindow).toBe(9);
    await breaker.execute(fail).catch(() => undefined);
    expect(breaker.state).toBe("open");
  });

  it("failures spread beyond the window never open it", async () => {
    let now = 0;
    const breaker = new DownstreamCircuitBreaker({
      name: "store-a",
      policy: TEN_PER_MINUTE_FOR_TESTS,
      now: () => now,
    });
    for (let i = 0; i < 30; i++) {
      await breaker.execute(fail).catch(() => undefined);
      now += 7_000; // ~8.6 failures per minute
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.failuresInWindow).toBeLessThan(10);
  });

  it("defect 4: every error counts by default, whatever its shape (a SQLite error, a plain Error)", async () => {
    const breaker = new DownstreamCircuitBreaker({
      name: "store",
      policy: TEN_PER_MINUTE_FOR_TESTS,
    });
    for (let i = 0; i < 10; i++) {
      const error = Object.assign(new Error("database disk image is malformed"), {
        code: "SQLITE_CORRUPT",
      });
      await breaker.execute(() => Promise.reject(error)).catch(() => undefined);
    }
    expect(breaker.state).toBe("open");
  });

  it("errors the owner declares as not failures (validation) do not count", async () => {
    const breaker = new DownstreamCircuitBreaker({
      name: "store",
      policy: TEN_PER_MINUTE_FOR_TESTS,
      isFailure: (e) => (e as { name?: string }).name !== "ValidationException",
    });
    for (let i = 0; i < 20; i++) {
      await breaker
        .execute(() => Promise.reject(awsError("ValidationException", 400)))
        .catch(() => undefined);
    }
    expect(breaker.state).toBe("closed");
  });

  it("half-open lets only the configured share through; the admitted probe closes it", async () => {
    const draws = [0.9, 0.7, 0.2]; // 0.9 and 0.7 ≥ 0.5: rejected; 0.2 < 0.5: admitted
    const breaker = new DownstreamCircuitBreaker({
      name: "store-b",
      policy: TEN_PER_MINUTE_FOR_TESTS,
      random: () => draws.shift() ?? 0,
    });
    const states: string[] = [];
    breaker.onStateChange((s) => states.push(s));
    for (let i = 0; i < 10; i++) await breaker.execute(fail).catch(() => undefined);
    expect(breaker.state).toBe("open");
    let calls = 0;
    const counted = () => {
      calls++;
      return ok();
    };
    await expect(breaker.execute(counted)).rejects.toMatchObject({ kind: "circuit-open" });
    await wait(60);
    await expect(breaker.execute(counted)).rejects.toBeInstanceOf(DownstreamError);
    await expect(breaker.execute(counted)).rejects.toMatchObject({ kind: "circuit-open" });
    expect(calls).toBe(0);
    await expect(breaker.execute(counted)).resolves.toBe("ok");
    expect(calls).toBe(1);
    expect(breaker.state).toBe("closed");
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("isolate holds the circuit open until released (operator handle)", async () => {
    const breaker = new DownstreamCircuitBreaker({
      name: "store-a",
      policy: TEN_PER_MINUTE_FOR_TESTS,
    });
    const handle = breaker.isolate();
    expect(breaker.state).toBe("isolated");
    await expect(breaker.execute(ok)).rejects.toMatchObject({
      kind: "circuit-open",
      retryable: true,
    });
    handle.dispose();
    expect(breaker.state).toBe("closed");
    await expect(breaker.execute(ok)).resolves.toBe("ok");
  });

  it("rejects a half-open share outside (0, 1]", () => {
    expect(
      () =>
        new DownstreamCircuitBreaker({
          name: "x",
          policy: { ...TEN_PER_MINUTE_FOR_TESTS, halfOpenTraffic: 0 },
        }),
    ).toThrow(RangeError);
  });
});
