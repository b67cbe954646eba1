/**
 * Handler pipeline benchmark (not a test): `npx tsx bench/handlers.bench.ts [--runs N] [--no-readme]`.
 *
 * Per-message cost of decode + validate + dedup-check (in-memory and SQLite dedup), of the
 * whole individual handler on the local adapters (SQLite records + time series), per-batch cost
 * for a 50-record zstd batch, and the raw ts-proto decode measured in the same run as the
 * baseline. Each figure is the median of RUNS runs; ratios are against the decode baseline.
 *
 * The data is what a fleet sends: 200 vehicles, each with its own increasing timestamps one
 * second apart, random UUID v4 message ids, and values that vary inside their ranges (seeded, so
 * every run sees the same data). The handler cases assert that every message was STORED (none
 * dead-lettered or counted as a duplicate), so they measure the success path, not the DLQ.
 * Results go to stdout and into README.md between the `bench:handlers` markers.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
import {
  loadNow,
  machineLine,
  markdownTable,
  median,
  writeReadmeSection,
} from "../scripts/bench-readme.js";

const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
const WRITE_README = !process.argv.includes("--no-readme");
const load0 = loadNow();
const VEHICLES = 200;
const PER_VEHICLE = 100;
const N = VEHICLES * PER_VEHICLE;
const now = Date.now();

// Seeded PRNG (mulberry32): the same fleet every run.
let seed = 0x5eed;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
const VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
const vins = Array.from(
  { length: VEHICLES },
  () => `VIN-${Array.from({ length: 17 }, () => VIN_CHARS[Math.floor(rand() * 33)]).join("")}`,
);
const topicOf = (vin: string, kind: "vehicle" | "batch") =>
  `v2c/v1/us-east-1/${vin}/telemetry/${kind}`;

interface Sample {
  readonly vin: string;
  readonly bytes: Uint8Array;
}

/** Message k of vehicle v: its own clock, one message a second, ending just before `now`. */
function message(v: number, k: number): Sample {
  const vin = vins[v]!;
  const bytes = VehicleTelemetry.encode(
    VehicleTelemetry.fromPartial({
      messageId: randomUUID(),
      vehicleId: vin,
      timestampMs: now - (PER_VEHICLE - k) * 1000 - v,
      schemaVersion: 1,
      sequence: k,
      location: {
        latitudeDeg: between(25, 49),
        longitudeDeg: between(-124, -67),
        altitudeM: between(0, 2000),
        headingDeg: between(0, 359),
        hdop: between(0.5, 3),
      },
      powertrain: {
        speedKph: between(0, 130),
        engineRpm: Math.round(between(700, 4000)),
        odometerKm: between(1000, 200000),
        fuelLevelPct: between(5, 100),
        coolantTempC: between(70, 105),
        gear: rand() < 0.8 ? 4 : Math.floor(between(1, 4)),
        throttlePct: between(0, 80),
      },
      battery: {
        stateOfChargePct: between(10, 100),
        packVoltageV: between(350, 420),
        packCurrentA: between(-150, 50),
        packTempC: between(15, 40),
        auxVoltageV: between(12, 14.4),
        charging: rand() < 0.1,
      },
      climate: {
        ambientTempC: between(-10, 35),
        cabinTempC: between(18, 24),
        hvacOn: rand() < 0.6,
      },
      tires: {
        frontLeftKpa: between(210, 250),
        frontRightKpa: between(210, 250),
        rearLeftKpa: between(210, 250),
        rearRightKpa: between(210, 250),
      },
      state: { ignition: 3, doorsLocked: rand() < 0.8, anyDoorOpen: false },
      dtcCodes: rand() < 0.05 ? ["P0420"] : [],
    }),
  ).finish();
  return { vin, bytes };
}

// Interleaved the way a fleet arrives: every vehicle's k-th message, then every (k+1)-th.
const samples: Sample[] = [];
for (let k = 0; k < PER_VEHICLE; k++)
  for (let v = 0; v < VEHICLES; v++) samples.push(message(v, k));
const messages = samples.map((s) => s.bytes);

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
  for (const s of samples)
    sink += validateRecord(vehicleTelemetryCodec, s.bytes, s.vin, now, policy).record.sequence;
});

const claimOptions = { windowMs: policy.dedup?.windowMs ?? 300_000, leaseMs: policy.timeoutMs };
async function dedupLoop(store: DedupStore): Promise<void> {
  let claimed = 0;
  for (const s of samples) {
    const { record } = validateRecord(vehicleTelemetryCodec, s.bytes, s.vin, now, policy);
    const key = { vehicleId: s.vin, messageId: vehicleTelemetryCodec.messageId(record) };
    if ((await store.claim(key, now, claimOptions)).status === "claimed") claimed++;
  }
  if (claimed !== N) throw new Error(`dedup: ${claimed} of ${N} claimed (data collides?)`);
  sink += claimed;
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
const events = samples.slice(0, handlerN).map((s) => ({
  payload: Buffer.from(s.bytes).toString("base64"),
  topic: topicOf(s.vin, "vehicle"),
  clientId: s.vin,
  receivedAt: now,
}));
/** Stored count of one run; throws unless every record of it was stored (the success path). */
const expectStored = (stored: number, expected: number, what: string): number => {
  if (stored !== expected)
    throw new Error(`${what}: ${stored} of ${expected} stored (the rest went to the DLQ)`);
  return stored;
};
const handlerNs = await measure(
  handlerN,
  async () => {
    let stored = 0;
    for (const e of events) stored += (await local.telemetryProcessor(e)).stored;
    sink += expectStored(stored, handlerN, "individual handler");
  },
  () => {
    local.close();
    local = createLocalHandlers({ directory: join(dir, `h-${run++}`) });
  },
);

// Per batch: 50 records of one vehicle, zstd level 3, through the batch handler.
const BATCH = 50;
const batches = await Promise.all(
  Array.from({ length: 20 }, async (_, b) => {
    const v = b % VEHICLES;
    const vin = vins[v]!;
    const first = Math.floor(b / VEHICLES) * BATCH;
    const records = Array.from(
      { length: BATCH },
      (_, k) => samples[(first + k) * VEHICLES + v]!.bytes,
    );
    let crc = 0;
    for (const r of records) crc = crc32(r, crc);
    const bytes = TelemetryBatch.encode(
      TelemetryBatch.fromPartial({
        batchId: randomUUID(),
        vehicleId: vin,
        schemaVersion: 1,
        createdAtMs: now - 1000,
        records: records.map((r) => Buffer.from(r)),
        recordsCrc32: crc >>> 0,
      }),
    ).finish();
    const payload = await compress(Buffer.from(bytes), 3);
    return {
      payload: payload.toString("base64"),
      topic: topicOf(vin, "batch"),
      clientId: vin,
      receivedAt: now,
    };
  }),
);
const batchNs = await measure(
  batches.length,
  async () => {
    let stored = 0;
    for (const e of batches) stored += (await local.batchProcessor(e)).stored;
    sink += expectStored(stored, batches.length * BATCH, "batch handler");
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
const perCore = (c: Cost) => Math.round(1e9 / c.cpuNs);
const table = markdownTable(
  ["path", "CPU µs/msg", "msg/s per core", "× decode", "wall µs/msg"],
  rows.map(([name, cost]) => [
    name,
    (cost.cpuNs / 1000).toFixed(2),
    perCore(cost).toLocaleString("en-US"),
    (cost.cpuNs / decodeNs.cpuNs).toFixed(2),
    (cost.wallNs / 1000).toFixed(2),
  ]),
);
const hot = perCore(memoryDedupNs);
const command = `npx tsx bench/handlers.bench.ts --runs ${RUNS}`;
const body = [
  `\`${command}\` — ${machineLine(load0)}. ${N.toLocaleString("en-US")} distinct messages`,
  `(~${messages[0]!.byteLength} bytes; ${VEHICLES} vehicles × ${PER_VEHICLE}, own timestamps, random UUIDs); CPU time`,
  `(user + system) per message, median of ${RUNS}; every handler run stored all its messages.`,
  "",
  table,
  "",
  `Hot path (decode + validate + in-memory dedup check): ${hot.toLocaleString("en-US")} msg/s per core — ` +
    `target ≥ 300,000: ${hot >= 300_000 ? "**met**" : "**missed**"}. Per batch of ${BATCH}: ` +
    `${(batchNs.cpuNs / 1e6).toFixed(2)} ms CPU, ${(batchNs.wallNs / 1e6).toFixed(2)} ms wall.`,
].join("\n");
console.log(body);
if (sink === 0) console.log("(nothing processed?)");
if (WRITE_README && !(await writeReadmeSection("handlers", body)))
  console.error("README.md has no bench:handlers markers; not written");
