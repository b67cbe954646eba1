import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DownstreamError } from "../../src/cloud/errors.js";
import { recordsCrc32 } from "../../src/handlers/checksum.js";
import { toTimeSeriesRecord } from "../../src/handlers/codec.js";
import { Deadline } from "../../src/handlers/deadline.js";
import { ruleSql } from "../../src/handlers/event.js";
import { downstreamFailure, PipelineFailure } from "../../src/handlers/failure.js";
import { defaultReasonCode, reasonFor } from "../../src/handlers/reasons.js";
import { base64DecodedLength, decodeRulePayload } from "../../src/handlers/payload.js";
import { MemoryDedupStore } from "../../src/handlers/memory-dedup-store.js";
import { checkFreshness } from "../../src/handlers/validate.js";

describe("handler pipeline pieces", () => {
  it("CRC-32 over records equals zlib's CRC-32 of their concatenation ", () => {
    const records = [Buffer.from("alpha"), Buffer.from(""), Buffer.from("gamma-record")];
    expect(recordsCrc32(records)).toBe(crc32(Buffer.concat(records)));
    expect(recordsCrc32([])).toBe(0);
  });

  it("freshness: the skew and age limits are inclusive, one millisecond beyond is clock-skew", () => {
    const policy = { maxClockSkewMs: 60_000, maxAgeMs: 86_400_000 };
    const now = 1_800_000_000_000;
    expect(() => checkFreshness(now + 60_000, now, policy)).not.toThrow();
    expect(() => checkFreshness(now - 86_400_000, now, policy)).not.toThrow();
    for (const t of [now + 60_001, now - 86_400_001]) {
      expect(() => checkFreshness(t, now, policy)).toThrow(PipelineFailure);
      try {
        checkFreshness(t, now, policy);
      } catch (e) {
        expect((e as PipelineFailure).signal).toBe("clock-skew");
      }
    }
  });

  it("deadline: remaining time minus the margin; race gives up at once when none is left", async () => {
    expect(new Deadline(undefined, 500).expired()).toBe(false);
    const ctx = { getRemainingTimeInMillis: () => 500 };
    const deadline = new Deadline(ctx, 500);
    expect(deadline.expired()).toBe(true);
    const never = new Promise<number>(() => undefined);
    expect(await deadline.race(never)).toEqual({ expired: true });
    const roomy = new Deadline({ getRemainingTimeInMillis: () => 60_000 }, 500);
    expect(await roomy.race(Promise.resolve(7))).toEqual({ expired: false, value: 7 });
  });

  it("memory ledger: duplicate only when completed inside the window; in progress until then", async () => {
    const store = new MemoryDedupStore();
    const key = { vehicleId: "v", messageId: "m" };
    const o = { windowMs: 300_000, leaseMs: 10_000 };
    expect(await store.claim(key, 1_000, o)).toEqual({ status: "claimed", done: [] });
    expect(await store.claim(key, 2_000, o)).toEqual({ status: "in-progress" });
    await store.complete(key, 2_000, 300_000);
    expect(await store.claim(key, 302_000, o)).toEqual({ status: "duplicate" });
    expect((await store.claim(key, 302_001, o)).status).toBe("claimed");
    await store.release(key, ["a"]);
    expect(await store.claim(key, 302_002, o)).toEqual({ status: "claimed", done: ["a"] });
  });

  it("classifies any downstream error into a signal of that downstream", () => {
    const throttled = new DownstreamError("x", "throttled", true, "slow down");
    const pool = new DownstreamError("x", "connection", true, "x", {
      cause: new Error("Cannot acquire connection"),
    });
    const down = new DownstreamError("x", "connection", true, "ECONNREFUSED");
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    expect(downstreamFailure("store-a", throttled)).toMatchObject({
      signal: "throttled",
      downstream: "store-a",
    });
    expect(downstreamFailure("store-a", pool).signal).toBe("pool-exhausted");
    expect(downstreamFailure("store-a", down).signal).toBe("unavailable");
    expect(downstreamFailure("store-a", busy).signal).toBe("timeout");
    expect(downstreamFailure("store-a", new TypeError("boom")).signal).toBe("unavailable");
  });

  it("reason lookup: (downstream, signal), then signal, then a default from the names", () => {
    const table = {
      "a:throttled": { code: "A_SLOW" },
      throttled: { code: "SLOW" },
      "decode-error": { code: "PARSE" },
    };
    expect(reasonFor(table, new PipelineFailure("throttled", "", { downstream: "a" })).code).toBe(
      "A_SLOW",
    );
    expect(reasonFor(table, new PipelineFailure("throttled", "", { downstream: "b" })).code).toBe(
      "SLOW",
    );
    expect(reasonFor(table, new PipelineFailure("decode-error", "")).code).toBe("PARSE");
    expect(
      reasonFor(table, new PipelineFailure("timeout", "", { downstream: "store-b" })).code,
    ).toBe("STORE_B_TIMEOUT");
    expect(defaultReasonCode("vehicle-mismatch")).toBe("VEHICLE_MISMATCH");
  });

  it("payload: size known from the base64 text; refused above the limit; not-base64 refused", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100]) {
      const text = Buffer.alloc(n, 7).toString("base64");
      expect(base64DecodedLength(text)).toBe(n);
      expect(decodeRulePayload(text, 100)).toEqual(Buffer.alloc(n, 7));
    }
    expect(() => decodeRulePayload(Buffer.alloc(101).toString("base64"), 100)).toThrow(/limit/);
    for (const bad of ["abc", "ab=c", "a*bc", "YQ==YQ=="]) {
      expect(() => decodeRulePayload(bad, 100)).toThrow(/not base64/);
    }
  });

  it("time-series point: number and boolean leaves become measures, excluded paths do not", () => {
    const point = toTimeSeriesRecord(
      {
        messageId: "m",
        timestampMs: 5,
        powertrain: { speedKph: 88, gear: "GEAR_DRIVE" },
        climate: { hvacOn: true },
      },
      {
        measureName: "VehicleTelemetry",
        dimensions: { vehicle_id: "V" },
        timeMs: 5,
        exclude: ["timestampMs"],
      },
    );
    expect(point.measures).toEqual({ "powertrain.speedKph": 88, "climate.hvacOn": true });
  });

  it("rule SQL base64-encodes the payload and selects topic, client id and receive time", () => {
    expect(ruleSql("v2c/v1/+/+/telemetry/vehicle")).toBe(
      "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS receivedAt FROM 'v2c/v1/+/+/telemetry/vehicle'",
    );
  });
});
