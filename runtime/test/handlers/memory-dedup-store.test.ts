/**
 * The in-memory dedup ledger (typed-array table) against a plain reference model of the
 * ledger protocol, on random operation sequences over colliding keys, with enough keys to
 * rebuild the table several times; and the pipeline's synchronous claim through the dedup
 * participant's circuit (`claimMessage`).
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClaimResult, MessageKey } from "../../src/cloud/ports.js";
import { MemoryMetricsSink } from "../../src/cloud/memory-metrics.js";
import { CircuitBreakers } from "../../src/handlers/breakers.js";
import { stepContext } from "../../src/handlers/context.js";
import { Deadline } from "../../src/handlers/deadline.js";
import { claimMessage, SYNC_CLAIM } from "../../src/handlers/dedup.js";
import { MemoryDedupStore } from "../../src/handlers/memory-dedup-store.js";
import { readUuid, UUID_WORDS } from "../../src/handlers/uuid-words.js";
import { PipelineFailure } from "../../src/handlers/failure.js";
import type { HandlerPolicy } from "../../src/handlers/policy.js";

/** The ledger protocol written as plainly as possible (what `MemoryDedupStore` replaced). */
class ReferenceLedger {
  private readonly entries = new Map<string, { state: string; until: number; done: string[] }>();
  claim(key: MessageKey, now: number, leaseMs: number): ClaimResult {
    const id = `${key.vehicleId}/${key.messageId}`;
    const e = this.entries.get(id);
    if (e?.state === "done" && e.until >= now) return { status: "duplicate" };
    if (e?.state === "in-progress" && e.until >= now) return { status: "in-progress" };
    const done = e?.state === "failed" ? e.done : [];
    this.entries.set(id, { state: "in-progress", until: now + leaseMs, done });
    return { status: "claimed", done };
  }
  complete(key: MessageKey, now: number, windowMs: number): void {
    this.entries.set(`${key.vehicleId}/${key.messageId}`, {
      state: "done",
      until: now + windowMs,
      done: [],
    });
  }
  release(key: MessageKey, done: readonly string[]): void {
    const id = `${key.vehicleId}/${key.messageId}`;
    if (done.length === 0) this.entries.delete(id);
    else this.entries.set(id, { state: "failed", until: 0, done: [...done] });
  }
  get size(): number {
    return this.entries.size;
  }
}

const UUIDS = [
  "0f8e5a4c-2b1d-4e6f-9a8b-7c6d5e4f3a2b",
  "0F8E5A4C-2B1D-4E6F-9A8B-7C6D5E4F3A2B",
  "0f8e5a4c-2b1d-4e6f-9a8b-7c6d5e4f3a2g",
  "0f8e5a4c2b1d-4e6f-9a8b-7c6d5e4f3a2b-",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "00000000-0000-0000-0000-000000000000",
];
const LEASE = 10;
const WINDOW = 50;
const key = fc.record({
  vehicleId: fc.constantFrom("VIN-A", "VIN-B", "v/é", "😀"),
  messageId: fc.oneof(
    fc.constantFrom("m1", "m2", "", "é", "VIN-A"),
    fc.string({ maxLength: 5 }),
    // UUIDs are held as 16 bytes: the same UUID in capitals, with a non-hex digit or without a
    // dash is another message id (kept as characters), never the packed one.
    fc.constantFrom(...UUIDS),
    fc.uuid(),
  ),
});
const op = fc.oneof(
  fc.record({ kind: fc.constant("claim" as const), key, dt: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant("complete" as const), key, dt: fc.integer({ min: 0, max: 30 }) }),
  fc.record({
    kind: fc.constant("release" as const),
    key,
    done: fc.constantFrom([], ["kv"], ["kv", "ts"]),
  }),
);

describe("MemoryDedupStore", () => {
  it("answers every operation sequence as the reference ledger does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.boolean(), async (ops, sync) => {
        const store = new MemoryDedupStore();
        const reference = new ReferenceLedger();
        let now = 1_000;
        for (const o of ops) {
          if (o.kind === "claim") {
            now += o.dt;
            const options = { windowMs: WINDOW, leaseMs: LEASE };
            const got = sync
              ? store.claimNow(o.key, now, options)
              : await store.claim(o.key, now, options);
            expect(got).toEqual(reference.claim(o.key, now, LEASE));
          } else if (o.kind === "complete") {
            now += o.dt;
            await store.complete(o.key, now, WINDOW);
            reference.complete(o.key, now, WINDOW);
          } else {
            await store.release(o.key, o.done);
            reference.release(o.key, o.done);
          }
          expect(store.size).toBe(reference.size);
        }
      }),
      { seed: 20261129, numRuns: 1500 },
    );
  });

  it("keeps every claim across table rebuilds and released tombstones (50,000 keys)", () => {
    const store = new MemoryDedupStore();
    const options = { windowMs: 300_000, leaseMs: 10_000 };
    const keys = Array.from({ length: 50_000 }, (_, i) => ({
      vehicleId: `VIN-${i % 97}`,
      messageId: `m-${i}`,
    }));
    const claimed = keys.filter((k) => store.claimNow(k, 1, options).status === "claimed");
    expect(claimed.length).toBe(keys.length);
    for (let i = 0; i < keys.length; i += 2) void store.release(keys[i]!, []);
    expect(store.size).toBe(25_000);
    const again = keys.map((k) => store.claimNow(k, 2, options).status);
    expect(again.filter((s, i) => s !== (i % 2 === 0 ? "claimed" : "in-progress"))).toEqual([]);
    // The same message id under another vehicle is another message.
    expect(store.claimNow({ vehicleId: "VIN-other", messageId: "m-1" }, 2, options).status).toBe(
      "claimed",
    );
    expect(store.size).toBe(50_001);
  });
});

describe("UUID message ids", () => {
  it("reads a canonical lowercase UUID as its four big-endian words, and nothing else", () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(readUuid(id)).toBe(true);
        const bytes = Buffer.from(id.replaceAll("-", ""), "hex");
        expect([...UUID_WORDS]).toEqual([0, 4, 8, 12].map((i) => bytes.readInt32BE(i)));
        expect(readUuid(id.toUpperCase())).toBe(id.toUpperCase() === id);
        expect(readUuid(`${id.slice(0, 8)}x${id.slice(9)}`)).toBe(false);
        expect(readUuid(`${id.slice(0, 35)}g`)).toBe(false);
        expect(readUuid(`${id.slice(0, 35)}\u0660`)).toBe(false);
        expect(readUuid(`${id} `)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps 60,000 random UUID claims across rebuilds, releases and reused entries", () => {
    const store = new MemoryDedupStore();
    const options = { windowMs: 300_000, leaseMs: 10_000 };
    const keys = Array.from({ length: 60_000 }, (_, i) => ({
      vehicleId: `VIN-${i % 200}`,
      messageId: randomUUID(),
    }));
    expect(keys.every((k) => store.claimNow(k, 1, options).status === "claimed")).toBe(true);
    for (let i = 0; i < keys.length; i += 3) void store.release(keys[i]!, []);
    expect(store.size).toBe(40_000);
    const fresh = Array.from({ length: 20_000 }, () => ({
      vehicleId: "VIN-7",
      messageId: randomUUID(),
    }));
    expect(fresh.every((k) => store.claimNow(k, 2, options).status === "claimed")).toBe(true);
    const again = keys.map((k) => store.claimNow(k, 2, options).status);
    expect(again.filter((s, i) => s !== (i % 3 === 0 ? "claimed" : "in-progress"))).toEqual([]);
    expect(fresh.every((k) => store.claimNow(k, 3, options).status === "in-progress")).toBe(true);
    // The same UUID under another vehicle, or in capitals, is another message.
    const k0 = keys[1]!;
    expect(store.claimNow({ ...k0, vehicleId: "VIN-other" }, 3, options).status).toBe("claimed");
    expect(
      store.claimNow({ ...k0, messageId: k0.messageId.toUpperCase() }, 3, options).status,
    ).toBe("claimed");
    expect(store.size).toBe(80_002);
  });
});

describe("claimMessage on a store with a synchronous claim", () => {
  const policy = {
    operation: "op",
    timeoutMs: 1_000,
    dedup: { downstream: "kv", windowMs: 60_000 },
    writes: ["kv"],
    metrics: {},
  } as unknown as HandlerPolicy;
  const breakerPolicy = {
    downstreams: {
      kv: {
        breaker: {
          openAfterFailures: 2,
          windowMs: 60_000,
          halfOpenAfterMs: 60_000,
          halfOpenTraffic: 1,
        },
      },
    },
  };
  const context = (dedup: MemoryDedupStore, breakers: CircuitBreakers) =>
    stepContext(
      { dedup, downstreams: {}, dlq: undefined as never, metrics: new MemoryMetricsSink() },
      breakers,
      policy,
      new Deadline(undefined, 0),
    );
  const k = { vehicleId: "VIN-A", messageId: "m-1" };

  it("answers without a promise while the circuit is closed, and counts a duplicate", async () => {
    const store = new MemoryDedupStore();
    const ctx = context(store, new CircuitBreakers(breakerPolicy as never));
    const first = claimMessage(ctx, k);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toEqual({ status: "claimed", done: [] });
    await store.complete(k, ctx.nowMs, 60_000);
    expect(claimMessage(ctx, k)).toEqual({ status: "duplicate" });
  });

  it("charges a thrown claim to the circuit (a rejected promise), and goes through it once open", async () => {
    const store = new MemoryDedupStore();
    store[SYNC_CLAIM] = () => {
      throw new Error("ledger broken");
    };
    store.claim = () => Promise.reject(new Error("ledger broken"));
    const breakers = new CircuitBreakers(breakerPolicy as never);
    const ctx = context(store, breakers);
    for (let i = 0; i < 2; i++) {
      const pending = claimMessage(ctx, k);
      expect(pending).toBeInstanceOf(Promise);
      await expect(pending).rejects.toBeInstanceOf(PipelineFailure);
    }
    expect(breakers.states()["kv"]).toBe("open");
    const refused = claimMessage(ctx, k);
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toThrow(/circuit open/);
  });
});

describe("MemoryDedupStore limits", () => {
  it("holds long ids, refuses a message id beyond 131,072 characters, and never matches one", () => {
    const store = new MemoryDedupStore();
    const options = { windowMs: 300_000, leaseMs: 10_000 };
    const long = { vehicleId: "V".repeat(100_000), messageId: "x".repeat(70_000) };
    expect(store.claimNow(long, 1, options).status).toBe("claimed");
    expect(store.claimNow(long, 2, options).status).toBe("in-progress");
    const tooLong = { vehicleId: "VIN-A", messageId: "x".repeat(140_000) };
    expect(() => store.claimNow(tooLong, 1, options)).toThrow(RangeError);
    expect(() => store.claimNow(tooLong, 1, options)).toThrow(RangeError);
    expect(store.size).toBe(1);
  });
});
