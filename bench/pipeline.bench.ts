// End-to-end throughput of the local pipeline (MQTT 5 publish -> Mosquitto -> rules engine ->
// generated telemetry handler -> SQLite), against a baseline measured in the same run: the
// same messages through the same Mosquitto to a bare subscriber that does nothing.
// Run: npx tsx bench/pipeline.bench.ts [--messages N] [--runs N]
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { startLocalPipeline } from "@v2c/local";
import { VehicleTelemetry, metrics, vehicleTelemetryTopic } from "@v2c/spec";
import { startMosquitto } from "../runtime/test/support/mosquitto.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MESSAGES = arg("--messages", 2000);
const RUNS = arg("--runs", 3);
const VIN = "VIN-1HGBH41JXMN109186";
const topic = vehicleTelemetryTopic.build({ region: "us-east-1", vehicle_id: VIN });

/** One snapshot, stamped when it is published (the latency below is measured from this time). */
function snapshot(i: number, timestampMs: number): Buffer {
  return Buffer.from(
    VehicleTelemetry.encode(
      VehicleTelemetry.fromPartial({
        messageId: randomUUID(),
        vehicleId: VIN,
        timestampMs,
        schemaVersion: 1,
        sequence: i,
        location: {
          latitudeDeg: 48.1,
          longitudeDeg: 11.5,
          altitudeM: 520,
          headingDeg: 90,
          hdop: 1,
        },
        powertrain: {
          speedKph: 80,
          engineRpm: 2000,
          odometerKm: 42_000,
          fuelLevelPct: 50,
          coolantTempC: 90,
          throttlePct: 20,
        },
        battery: {
          stateOfChargePct: 80,
          packVoltageV: 400,
          packCurrentA: 10,
          packTempC: 25,
          auxVoltageV: 12.6,
        },
        climate: { ambientTempC: 18, cabinTempC: 21, hvacOn: true },
        tires: { frontLeftKpa: 240, frontRightKpa: 240, rearLeftKpa: 250, rearRightKpa: 250 },
      }),
    ).finish(),
  );
}

/**
 * Publishes MESSAGES snapshots with QoS 1 as fast as PUBACKs allow. Timestamps are the publish
 * time, bumped by 1 ms when two fall in the same millisecond (one vehicle cannot have two
 * samples at one instant; the time-series store would reject the second).
 */
async function publishAll(url: string): Promise<void> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `${VIN}-${randomUUID()}`,
    connectTimeout: 5000,
    reconnectPeriod: 0,
  });
  let last = 0;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    last = Math.max(Date.now(), last + 1);
    sends.push(c.publishAsync(topic, snapshot(i, last), { qos: 1 }));
  }
  await Promise.all(sends);
  await c.endAsync();
}

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 120_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// The rules engine acknowledges each message after its handler ran (at-least-once), so a
// burst queues at the broker: lift Mosquitto's default cap of 1000 queued messages per client,
// beyond which it drops QoS 1 messages silently.
const broker = await startMosquitto({ maxQueuedMessages: 0 });
const baseline: number[] = [];
const pipelineRates: number[] = [];
const p99s: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    // Baseline: broker round trip to a subscriber that only counts.
    const sub = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `bench-sub-${run}`,
      connectTimeout: 5000,
      reconnectPeriod: 0,
    });
    let got = 0;
    sub.on("message", () => got++);
    await sub.subscribeAsync(vehicleTelemetryTopic.filter, { qos: 1 });
    let t = performance.now();
    await publishAll(broker.url);
    await waitUntil(() => got >= MESSAGES, "baseline subscriber");
    baseline.push(MESSAGES / ((performance.now() - t) / 1000));
    await sub.endAsync();

    // The pipeline: every message decoded, validated, deduplicated and written to SQLite.
    const dir = mkdtempSync(join(tmpdir(), "v2c-bench-local-"));
    const pipeline = await startLocalPipeline({
      brokerUrl: broker.url,
      directory: dir,
      clientId: `bench-engine-${run}`,
    });
    t = performance.now();
    await publishAll(broker.url);
    await waitUntil(() => pipeline.engine.stats.received >= MESSAGES, "pipeline");
    await pipeline.engine.idle();
    pipelineRates.push(MESSAGES / ((performance.now() - t) / 1000));
    const stored = (
      pipeline.handlers.ports.db.prepare("SELECT COUNT(*) AS n FROM records").get() as { n: number }
    ).n;
    if (stored !== MESSAGES) throw new Error(`stored ${stored} of ${MESSAGES}`);
    p99s.push(
      pipeline.handlers.ports.metrics.percentile(
        metrics["telemetry.processing.latency"].cloudwatchName,
        99,
        { operation: "publishTelemetry" },
      ) ?? NaN,
    );
    await pipeline.stop();
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await broker.cleanup();
}
console.log(`messages per run: ${MESSAGES}; runs: ${RUNS}; node ${process.version}`);
console.log(`baseline (Mosquitto -> bare subscriber): median ${median(baseline).toFixed(0)} msg/s`);
console.log(
  `local pipeline (Mosquitto -> rules engine -> handler -> SQLite): median ${median(pipelineRates).toFixed(0)} msg/s`,
);
console.log(`ratio pipeline / baseline: ${(median(pipelineRates) / median(baseline)).toFixed(2)}`);
console.log(
  `processing latency p99 (publish -> stored, including the queue behind a burst): median of runs ${median(p99s).toFixed(0)} ms`,
);
