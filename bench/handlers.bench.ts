/**
 * Handler pipeline benchmark (not a test):
 * `npx tsx --conditions=v2c-source bench/handlers.bench.ts [--runs N] [--no-readme] [--hot-only]`.
 * The `v2c-source` condition makes `@v2c/*` resolve to the TypeScript sources of this tree;
 * without it they resolve to whatever `dist/` was last built, so the bench refuses to run.
 *
 * Per-message cost of decode + validate + dedup-check (the pipeline's `claimMessage` on the
 * in-memory store: the hot-path figure; the awaited port call; SQLite dedup), of the
 * whole individual handler on the local adapters (SQLite records + time series), per-batch cost
 * for a 50-record zstd batch, and the raw ts-proto decode measured in the same run as the
 * baseline. Each figure is the median of RUNS runs; ratios are against the decode baseline.
 *
 * The data is what a fleet sends: 200 vehicles, each with its own increasing timestamps one
 * second apart, random UUID v4 message ids (`randomUUID`, new per process), and values that vary
 * inside their ranges (seeded, the same every run). The handler cases assert that every message was STORED (none
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
  downstreamPolicy,
} from "@v2c/handlers";
import { openSqlite } from "../runtime/src/cloud/sqlite.js";
import { SqliteDedupStore } from "../runtime/src/cloud/sqlite-dedup-store.js";
import type { DedupStore } from "../runtime/src/cloud/ports.js";
import { MemoryDedupStore } from "../runtime/src/handlers/memory-dedup-store.js";
import { validateRecord } from "../runtime/src/handlers/validate.js";
import { CircuitBreakers } from "../runtime/src/handlers/breakers.js";
import { stepContext } from "../runtime/src/handlers/context.js";
import { Deadline } from "../runtime/src/handlers/deadline.js";
import { claimMessage } from "../runtime/src/handlers/dedup.js";
import { MemoryMetricsSink } from "../runtime/src/cloud/memory-metrics.js";
import { FsDeadLetterQueue } from "../runtime/src/cloud/fs-dlq.js";
import {
  loadNow,
  machineLine,
  markdownTable,
  median,
  writeReadmeSection,
} from "../scripts/bench-readme.js";

for (const pkg of ["@v2c/handlers", "@v2c/spec", "@v2c/runtime/constraints"]) {
  if (!import.meta.resolve(pkg).endsWith(".ts"))
    throw new Error(
      `${pkg} resolves to ${import.meta.resolve(pkg)}, a build, not this tree's source: ` +
        "run with `npx tsx --conditions=v2c-source bench/handlers.bench.ts`",
    );
}

const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
/** Only the in-memory hot-path cases (a quick run while developing; never writes README.md). */
const HOT_ONLY = process.argv.includes("--hot-only");
const WRITE_README = !HOT_ONLY && !process.argv.includes("--no-readme");
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

/**
 * Like `measure`, for cases of the same size run round-robin (one run of each per round, a
 * warm-up round first), so that a load change on the shared machine hits every case alike and
 * the ratios to the baseline stay fair.
 */
async function measureRounds(
  perRun: number,
  cases: readonly { body: () => Promise<void> | void; setup?: () => void }[],
): Promise<Cost[]> {
  const wall = cases.map((): number[] => []);
  const cpu = cases.map((): number[] => []);
  for (let r = 0; r <= RUNS; r++) {
    for (let i = 0; i < cases.length; i++) {
      cases[i]!.setup?.();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await cases[i]!.body();
      const ns = Number(process.hrtime.bigint() - t0) / perRun;
      const c = process.cpuUsage(c0);
      if (r > 0) {
        wall[i]!.push(ns);
        cpu[i]!.push(((c.user + c.system) * 1000) / perRun);
      }
    }
  }
  return cases.map((_, i) => ({ wallNs: median(wall[i]!), cpuNs: median(cpu[i]!) }));
}

const claimOptions = { windowMs: policy.dedup?.windowMs ?? 300_000, leaseMs: policy.timeoutMs };
const codec = vehicleTelemetryCodec;
/**
 * Decode + validate + claim of every message. The key is the decoded record's vehicle id (equal
 * to the topic's once validated, and a fresh string per message, as the topic parse gives the
 * handler), so hashing it is part of the measured claim.
 */
async function dedupLoop(store: DedupStore): Promise<void> {
  let claimed = 0;
  for (const s of samples) {
    const { record } = validateRecord(codec, s.bytes, s.vin, now, policy);
    const key = { vehicleId: codec.vehicleId(record), messageId: codec.messageId(record) };
    if ((await store.claim(key, now, claimOptions)).status === "claimed") claimed++;
  }
  if (claimed !== N) throw new Error(`dedup: ${claimed} of ${N} claimed (data collides?)`);
  sink += claimed;
}
/**
 * The hot path as the handler runs it: decode + validate, then the pipeline's own
 * `claimMessage` (the dedup participant's circuit breaker, then the store). The in-memory
 * store answers synchronously while the circuit is closed; a promise is awaited only when one
 * comes back (as `processRecord` would).
 */
const breakers = new CircuitBreakers(downstreamPolicy);
async function pipelineClaimLoop(store: DedupStore): Promise<void> {
  const ctx = stepContext(
    {
      dedup: store,
      downstreams: {},
      dlq: new FsDeadLetterQueue({ root: join(tmpdir(), "v2c-bench-never-written") }),
      metrics: new MemoryMetricsSink(),
    },
    breakers,
    policy,
    new Deadline(undefined, policy.deadlineSafetyMarginMs),
  );
  let claimed = 0;
  for (const s of samples) {
    const { record } = validateRecord(codec, s.bytes, s.vin, now, policy);
    const key = { vehicleId: codec.vehicleId(record), messageId: codec.messageId(record) };
    const pending = claimMessage(ctx, key);
    const result = pending instanceof Promise ? await pending : pending;
    if (result.status === "claimed") claimed++;
  }
  if (claimed !== N) throw new Error(`claimMessage: ${claimed} of ${N} claimed`);
  sink += claimed;
}
let memory = new MemoryDedupStore();
let viaPipeline = new MemoryDedupStore();
const [decodeNs, validateNs, memoryDedupNs, pipelineDedupNs] = (await measureRounds(N, [
  {
    body: () => {
      for (const m of messages) sink += VehicleTelemetry.decode(m).sequence;
    },
  },
  {
    body: () => {
      for (const s of samples)
        sink += validateRecord(codec, s.bytes, s.vin, now, policy).record.sequence;
    },
  },
  { body: () => dedupLoop(memory), setup: () => (memory = new MemoryDedupStore()) },
  {
    body: () => pipelineClaimLoop(viaPipeline),
    setup: () => (viaPipeline = new MemoryDedupStore()),
  },
])) as [Cost, Cost, Cost, Cost];

const BATCH = 50;
/** The SQLite and whole-handler cases (skipped by `--hot-only`). */
async function slowCases(): Promise<{ sqliteDedupNs: Cost; handlerNs: Cost; batchNs: Cost }> {
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
  return { sqliteDedupNs, handlerNs, batchNs };
}
const slow = HOT_ONLY ? undefined : await slowCases();

const rows: [string, Cost][] = [
  ["raw protobuf decode (baseline)", decodeNs],
  ["decode + validate", validateNs],
  ["decode + validate + dedup-check (pipeline claimMessage, in-memory store)", pipelineDedupNs],
  ["decode + validate + awaited DedupStore.claim (in-memory)", memoryDedupNs],
];
if (slow) {
  rows.push(
    ["decode + validate + dedup-check (SQLite DedupStore)", slow.sqliteDedupNs],
    ["individual handler, local adapters (dedup + SQLite store + time series)", slow.handlerNs],
    [
      `batch handler, ${BATCH} records per batch, per record`,
      { wallNs: slow.batchNs.wallNs / BATCH, cpuNs: slow.batchNs.cpuNs / BATCH },
    ],
  );
}
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
const hot = perCore(pipelineDedupNs);
const command = `npx tsx --conditions=v2c-source bench/handlers.bench.ts --runs ${RUNS}${HOT_ONLY ? " --hot-only" : ""}`;
const body = [
  `\`${command}\` — ${machineLine(load0)}. ${N.toLocaleString("en-US")} distinct messages`,
  `(~${messages[0]!.byteLength} bytes; ${VEHICLES} vehicles × ${PER_VEHICLE}, own timestamps, random UUIDs); CPU time`,
  `(user + system) per message, median of ${RUNS} (the in-memory cases run round-robin)` +
    (slow ? "; every handler run stored all its messages." : "."),
  "",
  table,
  "",
  `Hot path (decode + validate + dedup check through the pipeline's claimMessage, in-memory store): ${hot.toLocaleString("en-US")} msg/s per core — ` +
    `target ≥ 300,000: ${hot >= 300_000 ? "**met**" : "**missed**"}.` +
    (slow
      ? ` Per batch of ${BATCH}: ${(slow.batchNs.cpuNs / 1e6).toFixed(2)} ms CPU, ` +
        `${(slow.batchNs.wallNs / 1e6).toFixed(2)} ms wall.`
      : ""),
].join("\n");
console.log(body);
if (sink === 0) console.log("(nothing processed?)");
if (WRITE_README && !(await writeReadmeSection("handlers", body)))
  console.error("README.md has no bench:handlers markers; not written");
