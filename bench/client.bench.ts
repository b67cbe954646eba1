/**
 * Benchmark of the generated vehicle client (`@v2c/ecu-client`), not a test.
 *
 *   npx tsx --conditions=v2c-source bench/client.bench.ts [messages-per-run] [runs] [--no-readme]
 *
 * (`--conditions=v2c-source` measures the sources; without it the packages' built `dist/` is
 * measured, and the command written with the table says which.)
 *
 * Starts one private Mosquitto and measures, in one process:
 *  1. QoS 1 publish throughput of `client.publishTelemetry` (envelope + constraint check +
 *     protobuf encode + topic alias + the session's write-ahead queue file: every message is
 *     committed to it before it is sent and deleted after its PUBACK) against raw MQTT.js
 *     publishing pre-encoded payloads with the same alias and the same in-flight window (no
 *     persistence);
 *  2. encode cost per message (build + validate + encode, and ts-proto encode alone);
 *  3. batch build + zstd compress time for the spec's min and max batch sizes;
 *  4. wire bytes per record for plain, aliased and batched publishing (packets generated with
 *     mqtt-packet, the encoder MQTT.js writes with).
 * Every figure is the median of several runs. Each publisher cycles through the same 256
 * distinct messages (values varied from the harness sample; the generated client stamps its own
 * message id and timestamp per publish). Results go to stdout and into README.md between the
 * `bench:client` markers, with the command that produced them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connectAsync } from "mqtt";
import mqttPacket from "mqtt-packet";
import { clientConfig, createVehicleClient, telemetryBatchCodec } from "@v2c/ecu-client";
import { buildBatches, reusingEncoder } from "@v2c/runtime/client/index";
import { channels, VehicleTelemetry } from "@v2c/spec";
import { startMosquitto } from "../runtime/test/support/mosquitto.js";
import { SAMPLE, SERVER, TOPIC_PARAMS, VEHICLE_ID } from "../generated/ecu-client/test/harness.js";
import {
  loadNow,
  machineLine,
  markdownTable,
  writeReadmeSection,
} from "../scripts/bench-readme.js";

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const N = Number(positional[0] ?? 5000);
const RUNS = Number(positional[1] ?? 5);
const WRITE_README = !process.argv.includes("--no-readme");
const load0 = loadNow();
const DISTINCT = 256;

/** The sample with every non-integer number scaled by up to ±0.5% (stays inside its range). */
function vary<T>(value: T, rand: () => number): T {
  if (typeof value === "number" && !Number.isInteger(value))
    return (value * (1 + (rand() - 0.5) / 100)) as T;
  if (Array.isArray(value)) return value.map((v) => vary(v, rand)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, vary(v, rand)])) as T;
  return value;
}
/** Publishes in flight at once, for both clients (QoS 1, each awaits its PUBACK). */
const WINDOW = 16;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs `task(i)` for i < n with at most `window` in flight; returns messages per second. */
async function pump(
  n: number,
  window: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), "v2c-client-bench-"));
  const alias = channels.vehicleTelemetry.topicAlias;
  try {
    // --- 1. throughput -------------------------------------------------------------------
    const client = createVehicleClient({
      server: SERVER,
      vehicleId: VEHICLE_ID,
      topicParams: TOPIC_PARAMS,
      url: broker.url,
      queuePath: join(dir, "queue.db"),
      timeouts: { connectMs: 3000, subscribeMs: 3000, endMs: 500 },
    });
    client.start();
    await client.whenReady(5000);
    const raw = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: "raw-bench",
      reconnectPeriod: 0,
    });
    const topic = client.topics.vehicleTelemetry;
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const samples = Array.from({ length: DISTINCT }, () => vary(SAMPLE, rand));
    const payloads = samples.map((s) =>
      Buffer.from(VehicleTelemetry.encode(client.buildVehicleTelemetry(s)).finish()),
    );
    const payload = payloads[0]!;
    // Raw MQTT.js: the first publish binds the alias, the rest send alias only (as the session does).
    await raw.publishAsync(topic, payload, { qos: 1, properties: { topicAlias: alias } });
    const rawPublish = (i: number) =>
      raw.publishAsync("", payloads[i % DISTINCT]!, { qos: 1, properties: { topicAlias: alias } });
    const genPublish = async (i: number) => {
      const r = await client.publishTelemetry(samples[i % DISTINCT]!);
      if (r.status !== "acked") throw new Error(`not acked: ${JSON.stringify(r)}`);
    };
    // The runtime session alone (pre-encoded payload): separates the generated layer's cost
    // (envelope, constraint check, protobuf encode) from the session's (size check, PUBACK timer, DUP capture).
    let seq = 0;
    const sessionPublish = (i: number) =>
      client.session.publish(topic, payloads[i % DISTINCT]!, {
        messageId: `bench-${seq++}`,
        alias,
      });
    await pump(500, WINDOW, rawPublish); // warm-up
    await pump(500, WINDOW, sessionPublish);
    await pump(500, WINDOW, genPublish);
    const rawRates: number[] = [];
    const sessionRates: number[] = [];
    const genRates: number[] = [];
    // CPU time of this process (client side: MQTT.js or the session, encode, journal writes) per message.
    const rawCpu: number[] = [];
    const sessionCpu: number[] = [];
    const genCpu: number[] = [];
    const sides: Array<[number[], number[], (i: number) => Promise<unknown>]> = [
      [rawRates, rawCpu, rawPublish],
      [sessionRates, sessionCpu, sessionPublish],
      [genRates, genCpu, genPublish],
    ];
    for (let r = 0; r < RUNS; r++) {
      // Rotate the order so no side always runs on a warmer broker.
      for (let k = 0; k < sides.length; k++) {
        const [rates, cpu, task] = sides[(r + k) % sides.length]!;
        const before = process.cpuUsage();
        rates.push(await pump(N, WINDOW, task));
        const used = process.cpuUsage(before);
        cpu.push((used.user + used.system) / N);
      }
    }
    // Paired per round (the three sides ran back to back): steadier than a ratio of medians
    // when other processes load the machine.
    const roundRatios = genRates.map((g, r) => g / rawRates[r]!);
    await raw.endAsync();

    // --- 2. encode cost ------------------------------------------------------------------
    const ENC = 20_000;
    const buildUs: number[] = [];
    const encodeUs: number[] = [];
    const reusedUs: number[] = [];
    const message = client.buildVehicleTelemetry(SAMPLE);
    // What the generated client does: one writer reused across messages.
    const encode = reusingEncoder(VehicleTelemetry);
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      for (let i = 0; i < ENC; i++) encode(client.buildVehicleTelemetry(samples[i % DISTINCT]!));
      buildUs.push(((performance.now() - t) * 1000) / ENC);
      t = performance.now();
      for (let i = 0; i < ENC; i++) VehicleTelemetry.encode(message).finish();
      encodeUs.push(((performance.now() - t) * 1000) / ENC);
      t = performance.now();
      for (let i = 0; i < ENC; i++) encode(message);
      reusedUs.push(((performance.now() - t) * 1000) / ENC);
    }

    // --- 3. batch build + compress -------------------------------------------------------
    const policy = clientConfig.publishBatchTelemetry;
    const codec = telemetryBatchCodec({
      vehicleId: VEHICLE_ID,
      clock: Date.now,
      newId: () => crypto.randomUUID(),
    });
    const records = (n: number) =>
      Array.from({ length: n }, () =>
        VehicleTelemetry.encode(client.buildVehicleTelemetry(SAMPLE)).finish(),
      );
    const batchMs: Record<number, number[]> = {
      [policy.minMessages]: [],
      [policy.maxMessages]: [],
    };
    const batchBytes: Record<number, number> = {};
    for (const n of [policy.minMessages, policy.maxMessages]) {
      const recs = records(n);
      await buildBatches(recs, policy, codec); // warm-up
      for (let r = 0; r < RUNS * 4; r++) {
        const t = performance.now();
        const [b] = await buildBatches(recs, policy, codec);
        batchMs[n]!.push(performance.now() - t);
        batchBytes[n] = b!.compressed.byteLength;
      }
    }
    await client.close();

    // --- 4. wire bytes per record ----------------------------------------------------------
    const packet = (t: string, body: Uint8Array, a?: number) =>
      mqttPacket.generate(
        {
          cmd: "publish",
          topic: t,
          payload: Buffer.from(body),
          qos: 1,
          messageId: 1,
          dup: false,
          retain: false,
          ...(a ? { properties: { topicAlias: a } } : {}),
        },
        { protocolVersion: 5 },
      ).length;
    const perConn = policy.maxMessages; // records sent on one connection for the aliased average
    const plain = packet(topic, payload);
    const aliasedFirst = packet(topic, payload, alias);
    const aliasedNext = packet("", payload, alias);
    const aliased = (aliasedFirst + (perConn - 1) * aliasedNext) / perConn;
    const batchTopicAlias = channels.telemetryBatch.topicAlias;
    const batched = (n: number) => packet("", new Uint8Array(batchBytes[n]!), batchTopicAlias) / n;

    const fmt = (x: number, d = 1) => x.toFixed(d);
    const rawMed = median(rawRates);
    const genMed = median(genRates);
    const sessionMed = median(sessionRates);
    const runs = (xs: number[], d = 0) => xs.map((x) => fmt(x, d)).join(", ");
    const rows: string[][] = [
      [
        "raw MQTT.js `publishAsync`, pre-encoded, alias (baseline)",
        `${fmt(rawMed, 0)} msg/s`,
        runs(rawRates),
      ],
      [
        "runtime `VehicleSession.publish`, pre-encoded, alias",
        `${fmt(sessionMed, 0)} msg/s`,
        runs(sessionRates),
      ],
      ["generated `publishTelemetry`", `${fmt(genMed, 0)} msg/s`, runs(genRates)],
      [
        "ratio generated / raw",
        fmt(genMed / rawMed, 2),
        `target ≥ 0.9: ${genMed / rawMed >= 0.9 ? "**met**" : "**missed**"}`,
      ],
      [
        "ratio generated / runtime session",
        fmt(genMed / sessionMed, 2),
        "cost of the generated layer",
      ],
      ["ratio runtime session / raw", fmt(sessionMed / rawMed, 2), "cost of the runtime session"],
      [
        "ratio generated / raw, per round (median)",
        fmt(median(roundRatios), 2),
        runs(roundRatios, 2),
      ],
      [
        "client CPU per message: raw / session / generated",
        `${fmt(median(rawCpu))} / ${fmt(median(sessionCpu))} / ${fmt(median(genCpu))} µs`,
        "process.cpuUsage (user + system) of this process",
      ],
      [
        "build + validate + encode (as the client: reused writer)",
        `${fmt(median(buildUs), 2)} µs/msg`,
        runs(buildUs, 2),
      ],
      [
        "ts-proto encode alone, fresh writer per message",
        `${fmt(median(encodeUs), 2)} µs/msg`,
        runs(encodeUs, 2),
      ],
      [
        "ts-proto encode alone, reused writer",
        `${fmt(median(reusedUs), 2)} µs/msg`,
        runs(reusedUs, 2),
      ],
      ...[policy.minMessages, policy.maxMessages].map((n) => [
        `batch of ${n}: build + CRC-32 + zstd ${policy.zstdLevel} + verify`,
        `${fmt(median(batchMs[n]!), 2)} ms (${batchBytes[n]} B compressed)`,
        `${RUNS * 4} runs`,
      ]),
      ["wire bytes/record, plain topic", `${plain} B`, ""],
      [
        `wire bytes/record, topic alias (avg over ${perConn} on one connection)`,
        `${fmt(aliased)} B`,
        `first ${aliasedFirst} B, then ${aliasedNext} B`,
      ],
      ...[policy.minMessages, policy.maxMessages].map((n) => [
        `wire bytes/record, batch of ${n}`,
        `${fmt(batched(n))} B`,
        `ratio to plain ${fmt(batched(n) / plain, 2)}`,
      ]),
    ];
    // Which build ran: the sources (v2c-source condition) or the packages' dist/.
    const fromSource = import.meta.resolve("@v2c/ecu-client").includes("/src/");
    const command = `npx tsx ${fromSource ? "--conditions=v2c-source " : ""}bench/client.bench.ts ${N} ${RUNS}`;
    const body = [
      `\`${command}\` — ${machineLine(load0)}. ${N} messages per run × ${RUNS} runs (median), ` +
        `${WINDOW} QoS 1 publishes in flight, one private Mosquitto on 127.0.0.1, publishers in ` +
        `rotating order; ${DISTINCT} distinct messages of ~${payload.length} B, topic ${topic.length} B. ` +
        `The session and generated rows include the write-ahead: each message is appended to the ` +
        `in-flight journal before it is sent (one write per event-loop turn) and acknowledged there ` +
        `after its PUBACK; raw MQTT.js persists nothing.`,
      "",
      markdownTable(["measure", "median", "runs / note"], rows),
    ].join("\n");
    console.log(body);
    if (WRITE_README && !(await writeReadmeSection("client", body)))
      console.error("README.md has no bench:client markers; not written");
  } finally {
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
