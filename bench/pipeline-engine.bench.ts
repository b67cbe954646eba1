// CPU per message of the local rules engine's batch path alone — no publishers, no MQTT
// parsing: the real local pipeline (engine + generated handlers + SQLite + checkpointer)
// connected to the spec's broker, fed synthetic deliveries in bursts of `--burst` messages
// (the micro-batches a backlog forms), each a distinct telemetry record of one of `--vehicles`.
// Reports the process's CPU per stored message: its main thread and its other threads (the
// WAL checkpointer worker, GC helpers) apart. Robust to other load on the machine (CPU time,
// not wall time); profile with `node --cpu-prof --import tsx --conditions=v2c-source`.
//
// Run: npx tsx --conditions=v2c-source bench/pipeline-engine.bench.ts [--messages 40000]
//        [--vehicles 200] [--burst 1000] [--rounds 3]
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { brokerSpec, engineIdentity, fleet, startLocalPipeline } from "@v2c/local";
import { VehicleTelemetry, vehicleTelemetryTopic } from "@v2c/spec";
import type { Delivery } from "../runtime/src/local/engine-connection.js";
import { startLocalBroker } from "../runtime/src/local/local-broker.js";
import { vehicleIds } from "../runtime/src/local/vehicle-ids.js";
import { relaunchWithEngineHeap } from "./pipeline-heap.js";
import { freePort } from "../runtime/src/testing/ports.js";
import { threadCpu } from "./thread-cpu.js";

relaunchWithEngineHeap();

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

const messages = Number(arg("--messages", "40000"));
const vehicles = Number(arg("--vehicles", "200"));
const burst = Number(arg("--burst", "1000"));
const rounds = Number(arg("--rounds", "3"));
const dir = mkdtempSync(join(tmpdir(), "v2c-bench-engine-"));
const broker = await startLocalBroker({
  spec: brokerSpec,
  directory: dir,
  port: await freePort(),
  engineIdentity,
});
const ids = vehicleIds(fleet.vehicleId.example, fleet.vehicleId.pattern, vehicles);
const topics = ids.map((id) =>
  vehicleTelemetryTopic.build({ region: "us-east-1", vehicle_id: id }),
);

function payloads(): Buffer[] {
  const out: Buffer[] = [];
  const now = Date.now();
  for (let k = 0; k < messages; k++) {
    const m = VehicleTelemetry.fromPartial(fleet.sample as Partial<VehicleTelemetry>);
    m.messageId = randomUUID();
    m.vehicleId = ids[k % ids.length]!;
    m.timestampMs = now - Math.floor(k / ids.length); // distinct points per series, none ahead
    m.schemaVersion = 1;
    m.sequence = k;
    out.push(Buffer.from(VehicleTelemetry.encode(m).finish()));
  }
  return out;
}

try {
  for (let round = 0; round < rounds; round++) {
    const data = join(dir, `data-${round}`);
    const pipeline = await startLocalPipeline({
      brokerUrl: broker.url,
      directory: data,
      tls: await broker.tlsFor(engineIdentity),
      clientId: `${engineIdentity}`,
    });
    const engine = pipeline.engine as unknown as { enqueue(d: Delivery): void };
    const all = payloads();
    const load = loadavg()[0]!;
    const cpu = threadCpu();
    const t0 = performance.now();
    for (let k = 0; k < all.length; k += burst) {
      for (let j = k; j < Math.min(all.length, k + burst); j++) {
        engine.enqueue({
          topic: topics[j % topics.length]!,
          payload: all[j]!,
          qos: 1,
          packetId: undefined,
          connection: 0,
        });
      }
      await pipeline.engine.idle();
    }
    const wall = performance.now() - t0;
    const after = threadCpu();
    const stored = pipeline.counters.stored;
    const per = (us: number) => (us / Math.max(1, stored)).toFixed(1);
    console.log(
      JSON.stringify({
        round,
        stored,
        dlq: pipeline.counters.dlqByReason,
        batches: pipeline.engine.stats.batches,
        mainUsPerMsg: per(after.main - cpu.main),
        otherThreadsUsPerMsg: per(after.others - cpu.others),
        wallUsPerMsg: ((wall * 1000) / Math.max(1, stored)).toFixed(1),
        load: load.toFixed(2),
      }),
    );
    await pipeline.stop();
    rmSync(data, { recursive: true, force: true });
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
