/**
 * Handler pipeline benchmark (not a test): `npx tsx bench/handlers.bench.ts`.
 *
 * Per-message cost of decode + validate + dedup-check (in-memory and SQLite dedup), of the
 * whole individual handler on the local adapters (SQLite records + time series), per-batch cost
 * for a 50-record zstd batch, and the raw ts-proto decode measured in the same run as the
 * baseline. Each figure is the median of RUNS runs; ratios are against the decode baseline.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { compress } from "@mongodb-js/zstd";
import { TelemetryBatch, VehicleTelemetry } from "@v2c/spec";
import {
  createLocalHandlers,
  telemetryProcessorPolicy,
  vehicleTelemetryCodec,
} from "@v2c/handlers";
import { openSqlite } from "../runtime/src/cloud/sqlite.js";
import { SqliteDedupStore } from "../runtime/src/cloud/sqlite-dedup-store.js";
import type { DedupStore } from "../runtime/src/cloud/ports.js";
import { MemoryDedupStore } from "../runtime/src/handlers/memory-dedup-store.js";
import { validateRecord } from "../runtime/src/handlers/validate.js";

const RUNS = 5;
const N = 20_000;
const VIN = "VIN-1HGBH41JXMN109186";
const TOPIC = `v2c/v1/us-east-1/${VIN}/telemetry/vehicle`;
const BATCH_TOPIC = `v2c/v1/us-east-1/${VIN}/telemetry/batch`;
const now = Date.now();

function message(i: number): Uint8Array {
  return VehicleTelemetry.encode(
    VehicleTelemetry.fromPartial({
      messageId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      vehicleId: VIN,
      timestampMs: now - 1000,
      schemaVersion: 1,
      sequence: i,
      location: {
        latitudeDeg: 42.36,
        longitudeDeg: -71.06,
        altitudeM: 12,
        headingDeg: 90,
        hdop: 0.9,
      },
      powertrain: {
        speedKph: 88,
        engineRpm: 2100,
        odometerKm: 12345.6,
        fuelLevelPct: 55,
        coolantTempC: 90,
        gear: 4,
        throttlePct: 20,
      },
      battery: {
        stateOfChargePct: 80,
        packVoltageV: 400,
        packCurrentA: -20,
        packTempC: 30,
        auxVoltageV: 12.6,
        charging: false,
      },
      climate: { ambientTempC: 18, cabinTempC: 21, hvacOn: true },
      tires: { frontLeftKpa: 230, frontRightKpa: 231, rearLeftKpa: 229, rearRightKpa: 230 },
      state: { ignition: 3, doorsLocked: true, anyDoorOpen: false },
      dtcCodes: ["P0420"],
    }),
  ).finish();
}

const messages = Array.from({ length: N }, (_, i) => message(i));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall-clock and CPU (user + system) nanoseconds per message of one run. */
interface Cost {
  readonly wallNs: number;
  readonly cpuNs: number;
}

/**
 * Runs `body` RUNS times (after one warm-up) and returns the medians per message. CPU time is
 * what "one core" costs when other processes share the machine; wall time is shown beside it.
 */
async function measure(
  perRun: number,
  body: () => Promise<void> | void,
  setup?: () => void,
): Promise<Cost> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    setup?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await body();
    const ns = Number(process.hrtime.bigint() - t0) / perRun;
    const c = process.cpuUsage(c0);
    if (r > 0) {
      wall.push(ns);
      cpu.push(((c.user + c.system) * 1000) / perRun);
    }
  }
  return { wallNs: median(wall), cpuNs: median(cpu) };
}

const policy = telemetryProcessorPolicy;
let sink = 0;

const decodeNs = await measure(N, () => {
  for (const m of messages) sink += VehicleTelemetry.decode(m).sequence;
});
const validateNs = await measure(N, () => {
  for (const m of messages)
    sink += validateRecord(vehicleTelemetryCodec, m, VIN, now, policy).sequence;
});

async function dedupLoop(store: DedupStore): Promise<void> {
  for (const m of messages) {
    const r = validateRecord(vehicleTelemetryCodec, m, VIN, now, policy);
    if ((await store.claim(r.messageId, now, policy.dedupWindowMs)) === "new") sink++;
  }
}
let memory = new MemoryDedupStore();
const memoryDedupNs = await measure(
  N,
  () => dedupLoop(memory),
  () => (memory = new MemoryDedupStore()),
);

const dir = mkdtempSync(join(tmpdir(), "v2c-bench-"));
let run = 0;
let sqliteStore: DedupStore = new MemoryDedupStore();
const sqliteDedupNs = await measure(
  N,
  () => dedupLoop(sqliteStore),
  () => {
    const db = openSqlite(join(dir, `dedup-${run++}.sqlite`));
    db.pragma("synchronous = NORMAL"); // as createLocalPorts sets it
    sqliteStore = new SqliteDedupStore({ db });
  },
);

// The whole individual handler on the local adapters (SQLite dedup + records + time series).
const handlerN = 1_000;
let local = createLocalHandlers({ directory: join(dir, "h-0") });
const events = messages.slice(0, handlerN).map((m) => ({
  payload: Buffer.from(m).toString("base64"),
  topic: TOPIC,
  clientId: VIN,
  receivedAt: now,
}));
const handlerNs = await measure(
  handlerN,
  async () => {
    for (const e of events) sink += (await local.telemetryProcessor(e)).stored;
  },
  () => {
    local.close();
    local = createLocalHandlers({ directory: join(dir, `h-${run++}`) });
  },
);

// Per batch: 50 records, zstd level 3, through the batch handler on the local adapters.
const BATCH = 50;
const batches = await Promise.all(
  Array.from({ length: 20 }, async (_, b) => {
    const records = messages.slice(b * BATCH, (b + 1) * BATCH);
    let crc = 0;
    for (const r of records) crc = crc32(r, crc);
    const bytes = TelemetryBatch.encode(
      TelemetryBatch.fromPartial({
        batchId: `00000000-0000-4000-8000-${(0xb000 + b).toString(16).padStart(12, "0")}`,
        vehicleId: VIN,
        schemaVersion: 1,
        createdAtMs: now - 1000,
        records: records.map((r) => Buffer.from(r)),
        recordsCrc32: crc >>> 0,
      }),
    ).finish();
    const payload = await compress(Buffer.from(bytes), 3);
    return {
      payload: payload.toString("base64"),
      topic: BATCH_TOPIC,
      clientId: VIN,
      receivedAt: now,
    };
  }),
);
const batchNs = await measure(
  batches.length,
  async () => {
    for (const e of batches) sink += (await local.batchProcessor(e)).stored;
  },
  () => {
    local.close();
    local = createLocalHandlers({ directory: join(dir, `b-${run++}`) });
  },
);
local.close();
rmSync(dir, { recursive: true, force: true });

const rows: [string, Cost][] = [
  ["raw protobuf decode (baseline)", decodeNs],
  ["decode + validate", validateNs],
  ["decode + validate + dedup-check (in-memory DedupStore)", memoryDedupNs],
  ["decode + validate + dedup-check (SQLite DedupStore)", sqliteDedupNs],
  ["individual handler, local adapters (dedup + SQLite store + time series)", handlerNs],
  [
    `batch handler, ${BATCH} records per batch, per record`,
    { wallNs: batchNs.wallNs / BATCH, cpuNs: batchNs.cpuNs / BATCH },
  ],
];
const load = loadavg()[0]!.toFixed(1);
console.log(
  `node ${process.version}, ${RUNS} runs (median), ${N} distinct messages of ~${messages[0]!.byteLength} bytes, load average ${load}`,
);
console.log("| path | CPU µs/msg | msgs/s per core (CPU) | × decode (CPU) | wall µs/msg |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [name, cost] of rows) {
  console.log(
    `| ${name} | ${(cost.cpuNs / 1000).toFixed(2)} | ${Math.round(1e9 / cost.cpuNs).toLocaleString("en-US")} | ${(cost.cpuNs / decodeNs.cpuNs).toFixed(2)} | ${(cost.wallNs / 1000).toFixed(2)} |`,
  );
}
console.log(
  `\nper batch of ${BATCH} (zstd + checksum + validate + dedup + SQLite writes): ${(batchNs.cpuNs / 1e6).toFixed(2)} ms CPU, ${(batchNs.wallNs / 1e6).toFixed(2)} ms wall (medians)`,
);
if (sink === 0) console.log("(nothing processed?)");
