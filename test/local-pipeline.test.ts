import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPipeline, type LocalPipeline } from "@v2c/local";
import { createVehicleClient } from "@v2c/ecu-client";
import { VehicleTelemetry, metrics, operations, vehicleTelemetryTopic } from "@v2c/spec";
import { startMosquitto, type MosquittoBroker } from "../runtime/test/support/mosquitto.js";

const VIN = "VIN-1HGBH41JXMN109186";
const topic = vehicleTelemetryTopic.build({ region: "us-east-1", vehicle_id: VIN });

/** A valid snapshot (values inside every declared range). */
function snapshot(now: number): VehicleTelemetry {
  return VehicleTelemetry.fromPartial({
    messageId: randomUUID(),
    vehicleId: VIN,
    timestampMs: now,
    schemaVersion: 1,
    sequence: 1,
    location: { latitudeDeg: 48.1, longitudeDeg: 11.5, altitudeM: 520, headingDeg: 90, hdop: 0.9 },
    powertrain: {
      speedKph: 87.5,
      engineRpm: 2100,
      odometerKm: 42_000,
      fuelLevelPct: 55,
      coolantTempC: 90,
      throttlePct: 20,
    },
    battery: {
      stateOfChargePct: 80,
      packVoltageV: 400,
      packCurrentA: 12,
      packTempC: 25,
      auxVoltageV: 12.6,
    },
    climate: { ambientTempC: 18, cabinTempC: 21, hvacOn: true },
    tires: { frontLeftKpa: 240, frontRightKpa: 240, rearLeftKpa: 250, rearRightKpa: 250 },
  });
}

// The whole flow on one machine: MQTT 5 publish -> Mosquitto -> rules engine -> generated
// handler -> SQLite / filesystem DLQ. Real broker, real files, real processes.
describe("local pipeline end to end (Mosquitto + rules engine + generated handlers on SQLite)", () => {
  let broker: MosquittoBroker;
  let pipeline: LocalPipeline;
  let dir: string;
  let vehicle: mqtt.MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), "v2c-local-"));
    pipeline = await startLocalPipeline({ brokerUrl: broker.url, directory: dir });
    vehicle = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: VIN,
      connectTimeout: 5000,
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await vehicle?.endAsync();
    await pipeline?.stop();
    await broker?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The local adapters' table of the first key-value store (`records_<participant>`). */
  const kvTable = () =>
    (
      pipeline.handlers.ports.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'records%' ORDER BY name",
        )
        .get() as { name: string }
    ).name;

  const settle = async (received: number) => {
    const end = Date.now() + 10_000;
    while (pipeline.engine.stats.received < received) {
      if (Date.now() > end)
        throw new Error(
          `only ${pipeline.engine.stats.received} of ${received} messages reached the rules engine`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    await pipeline.engine.idle();
  };

  it("stores every valid message once, discards a duplicate, and dead-letters a corrupt payload with its reason", async () => {
    const now = Date.now();
    // One sample per second, as a vehicle sends them (the time-series store rejects two
    // different samples of one vehicle at the same millisecond).
    const messages = Array.from({ length: 20 }, (_, i) => ({
      ...snapshot(now - (20 - i) * 1000),
      sequence: i + 1,
    }));
    for (const m of messages)
      await vehicle.publishAsync(topic, Buffer.from(VehicleTelemetry.encode(m).finish()), {
        qos: 1,
      });
    await vehicle.publishAsync(topic, Buffer.from(VehicleTelemetry.encode(messages[0]!).finish()), {
      qos: 1,
    }); // QoS 1 redelivery
    await vehicle.publishAsync(topic, Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]), { qos: 1 }); // not protobuf
    await settle(22);

    const stored = pipeline.handlers.ports.db
      .prepare(`SELECT COUNT(*) AS n FROM ${kvTable()}`)
      .get() as { n: number };
    expect(stored.n).toBe(20);
    const m = pipeline.handlers.ports.metrics;
    expect(m.counterTotal(metrics["telemetry.duplicates"].cloudwatchName)).toBe(1);
    const keys = await pipeline.handlers.ports.dlq.list("dlq/");
    expect(keys).toHaveLength(1);
    const entry = await pipeline.handlers.ports.dlq.get(keys[0]!);
    expect(entry).toMatchObject({ reasonCode: "PROTOBUF_PARSE", vehicleId: VIN, topic });
  });

  it("accepts what the generated vehicle client sends: a zstd TelemetryBatch with its CRC and an individual message", async () => {
    const vin = "VIN-2HGBH41JXMN109187";
    // The vehicle samples once a second: the client stamps each record with its clock, and two
    // different samples of one vehicle in the same millisecond would conflict in the time series.
    let now = Date.now() - 120_000;
    const client = createVehicleClient({
      clock: () => (now += 1000),
      server: "production-us-east-1",
      vehicleId: vin,
      topicParams: { region: "us-east-1" },
      url: broker.url,
      queuePath: join(dir, "vehicle-queue.sqlite"),
      timeouts: { connectMs: 5000, subscribeMs: 5000, endMs: 1000 },
    });
    client.start();
    await client.whenReady(5000);
    try {
      const before = pipeline.engine.stats.received;
      const size = operations.publishBatchTelemetry.batch.minMessages;
      const snapshots = Array.from({ length: size }, (_, i) => {
        const s = snapshot(0);
        return {
          location: s.location,
          powertrain: s.powertrain,
          battery: s.battery,
          climate: s.climate,
          tires: s.tires,
          sequence: i + 1,
        };
      });
      const published = await client.publishBatchTelemetry(snapshots);
      expect(published.length).toBeGreaterThanOrEqual(1);
      const single = await client.publishTelemetry({ ...snapshots[0]!, sequence: size + 1 });
      expect(single.status).toBe("acked");
      await settle(before + published.length + 1);
      const rows = pipeline.handlers.ports.db
        .prepare(
          `SELECT COUNT(*) AS n FROM ${kvTable()} WHERE json_extract(data, '$.vehicleId') = ?`,
        )
        .get(vin) as { n: number };
      expect(rows.n).toBe(size + 1);
      expect(await pipeline.handlers.ports.dlq.list(`dlq/`)).toHaveLength(1); // only the corrupt payload of the first test
    } finally {
      await client.close();
    }
  });
});
