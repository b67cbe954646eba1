import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DownstreamError } from "../../src/cloud/errors.js";
import { recordsCrc32 } from "../../src/handlers/checksum.js";
import { toTimeSeriesRecord } from "../../src/handlers/codec.js";
import { Deadline } from "../../src/handlers/deadline.js";
import { ruleSql } from "../../src/handlers/event.js";
import { dynamoDbFailure, PipelineFailure } from "../../src/handlers/failure.js";
import { MemoryDedupStore } from "../../src/handlers/memory-dedup-store.js";
import { checkFreshness } from "../../src/handlers/validate.js";

describe("handler pipeline pieces", () => {
  it("CRC-32 over records equals zlib's CRC-32 of their concatenation (FM-22)", () => {
    const records = [Buffer.from("alpha"), Buffer.from(""), Buffer.from("gamma-record")];
    expect(recordsCrc32(records)).toBe(crc32(Buffer.concat(records)));
    expect(recordsCrc32([])).toBe(0);
  });

  it("freshness: the skew and age limits are inclusive, one millisecond beyond is CLOCK_SKEW (FM-21)", () => {
    const policy = { maxClockSkewMs: 60_000, maxAgeMs: 86_400_000 };
    const now = 1_800_000_000_000;
    expect(() => checkFreshness(now + 60_000, now, policy)).not.toThrow();
    expect(() => checkFreshness(now - 86_400_000, now, policy)).not.toThrow();
    for (const t of [now + 60_001, now - 86_400_001]) {
      expect(() => checkFreshness(t, now, policy)).toThrow(PipelineFailure);
      try {
        checkFreshness(t, now, policy);
      } catch (e) {
        expect((e as PipelineFailure).failureClass).toBe("clock-skew");
      }
    }
  });

  it("deadline: remaining time minus the margin; race gives up at once when none is left (FM-14)", async () => {
    expect(new Deadline(undefined, 500).expired()).toBe(false);
    const ctx = { getRemainingTimeInMillis: () => 500 };
    const deadline = new Deadline(ctx, 500);
    expect(deadline.expired()).toBe(true);
    const never = new Promise<number>(() => undefined);
    expect(await deadline.race(never)).toEqual({ expired: true });
    const roomy = new Deadline({ getRemainingTimeInMillis: () => 60_000 }, 500);
    expect(await roomy.race(Promise.resolve(7))).toEqual({ expired: false, value: 7 });
  });

  it("dedup window: duplicate inside the window, new after it or after a release (FM-10)", async () => {
    const store = new MemoryDedupStore();
    expect(await store.claim("m", 1_000, 300_000)).toBe("new");
    expect(await store.claim("m", 301_000, 300_000)).toBe("duplicate");
    expect(await store.claim("m", 301_001, 300_000)).toBe("new");
    await store.release("m");
    expect(await store.claim("m", 301_002, 300_000)).toBe("new");
  });

  it("classifies DynamoDB errors: throttled, pool exhausted, anything else unavailable", () => {
    const throttled = new DownstreamError("dynamodb", "throttled", true, "slow down");
    const pool = new DownstreamError("dynamodb", "connection", true, "x", {
      cause: new Error("Cannot acquire connection"),
    });
    const down = new DownstreamError("dynamodb", "connection", true, "ECONNREFUSED");
    expect(dynamoDbFailure(throttled).failureClass).toBe("dynamodb-throttled");
    expect(dynamoDbFailure(pool).failureClass).toBe("pool-exhausted");
    expect(dynamoDbFailure(down).failureClass).toBe("dynamodb-unavailable");
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
