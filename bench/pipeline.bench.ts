// Throughput and latency of the local pipeline — vehicles publishing over mutual TLS to the
// Mosquitto configured from the spec, the micro-batching rules engine, the generated handlers
// on SQLite — against a baseline measured in the same run on the same broker: a bare
// subscriber that acknowledges at once.
//
// Latency is real: each message carries its publisher's clock at send (the same machine's
// clock as the receiver's), and "stored" is the commit of the batch holding it. Offered load
// is paced (not a burst) from a separate publisher process over many vehicle connections.
//
// Run: npx tsx bench/pipeline.bench.ts [--rates 1000,5000,10000] [--seconds 10] [--vehicles 200]
//      [--readme] (rewrites the table between the pipeline-bench markers of README.md)
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "hdr-histogram-js";
import mqtt from "mqtt";
import { brokerSpec, engineIdentity, fleet, startLocalPipeline } from "@v2c/local";
import { VehicleTelemetry, vehicleTelemetryTopic } from "@v2c/spec";
import { EngineConnection } from "../runtime/src/local/engine-connection.js";
import { startLocalBroker, tlsOptions } from "../runtime/src/local/local-broker.js";
import { openDevPki } from "../runtime/src/local/dev-pki.js";
import { vehicleIds } from "../runtime/src/local/vehicle-ids.js";
import { tsExecArgv } from "../runtime/src/local/fleet.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

interface PublisherInit {
  url: string;
  pkiDir: string;
  vehicles: string[];
  rate: number;
  seconds: number;
}
interface PublisherDone {
  sent: number;
  acked: number;
  errors: number;
  achievedRate: number;
}

/** The publisher process: one MQTT 5 connection per vehicle, paced QoS 1 publishes. */
async function publisher(init: PublisherInit): Promise<PublisherDone> {
  const pki = await openDevPki(init.pkiDir);
  const last = new Map<string, number>();
  // Connect in groups of 20: 200 TLS handshakes at once time out on a busy machine.
  const clients: { id: string; c: mqtt.MqttClient; topic: string }[] = [];
  for (let i = 0; i < init.vehicles.length; i += 20) {
    clients.push(
      ...(await Promise.all(
        init.vehicles.slice(i, i + 20).map(async (id) => {
          const c = await mqtt.connectAsync(init.url, {
            protocolVersion: 5,
            clientId: id,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            ...tlsOptions(pki, await pki.client(id)),
          });
          return {
            id,
            c,
            topic: vehicleTelemetryTopic.build({ region: "us-east-1", vehicle_id: id }),
          };
        }),
      )),
    );
  }
  const encode = (vehicleId: string, seq: number): Buffer => {
    // One vehicle cannot have two samples in one millisecond (the series key): bump by 1 ms
    // only then — with many vehicles the stamp stays the publisher's clock at send.
    const now = Math.max(Date.now(), (last.get(vehicleId) ?? 0) + 1);
    last.set(vehicleId, now);
    const m = VehicleTelemetry.fromPartial(fleet.sample as Partial<VehicleTelemetry>);
    m.messageId = randomUUID();
    m.vehicleId = vehicleId;
    m.timestampMs = now;
    m.schemaVersion = 1;
    m.sequence = seq;
    return Buffer.from(VehicleTelemetry.encode(m).finish());
  };
  let sent = 0;
  let acked = 0;
  let errors = 0;
  const started = Date.now();
  const end = started + init.seconds * 1000;
  let turn = 0;
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - started) / 1000) * init.rate);
    while (sent < due && sent - acked - errors < 20_000) {
      const v = clients[turn++ % clients.length]!;
      sent++;
      v.c.publishAsync(v.topic, encode(v.id, sent), { qos: 1 }).then(
        () => acked++,
        () => errors++,
      );
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const elapsed = (Date.now() - started) / 1000;
  const drainEnd = Date.now() + 60_000;
  while (acked + errors < sent && Date.now() < drainEnd)
    await new Promise((r) => setTimeout(r, 20));
  await Promise.all(clients.map((v) => v.c.endAsync().catch(() => undefined)));
  return { sent, acked, errors, achievedRate: Math.round(sent / elapsed) };
}

if (process.argv.includes("--publisher")) {
  process.once("message", (init: PublisherInit) => {
    publisher(init).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
} else {
  await main();
}

function runPublisher(init: PublisherInit): Promise<PublisherDone> {
  const child = fork(fileURLToPath(import.meta.url), ["--publisher"], {
    execArgv: tsExecArgv(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.send(init);
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m as PublisherDone));
    child.once("exit", (code) => code !== 0 && reject(new Error(`publisher exited ${code}`)));
  });
}

interface Row {
  offered: number;
  kind: "bare subscriber" | "pipeline";
  achieved: number;
  delivered: number;
  sent: number;
  lost: number;
  p50: number;
  p99: number;
  /** CPU time of the receiving process per delivered message (user + system, µs). */
  cpuUs: number;
  batches?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function main(): Promise<void> {
  const rates = arg("--rates", "1000,5000,10000").split(",").map(Number);
  const seconds = Number(arg("--seconds", "10"));
  const vehicles = Number(arg("--vehicles", "200"));
  const dir = mkdtempSync(join(tmpdir(), "v2c-bench-pipeline-"));
  const broker = await startLocalBroker({
    spec: brokerSpec,
    directory: dir,
    port: await freePort(),
    engineIdentity,
  });
  const ids = vehicleIds(fleet.vehicleId.example, fleet.vehicleId.pattern, vehicles);
  await Promise.all(ids.map((id) => broker.pki.client(id)));
  const engineTls = await broker.tlsFor(engineIdentity);
  const rows: Row[] = [];
  try {
    for (const rate of rates) {
      // Baseline: the same broker, the same publishers, a subscriber that only acknowledges.
      const hist = build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000,
        numberOfSignificantValueDigits: 3,
      });
      let got = 0;
      const bare: EngineConnection = new EngineConnection({
        url: broker.url,
        clientId: engineIdentity,
        filters: [vehicleTelemetryTopic.filter],
        tls: engineTls,
        onDelivery: (d) => {
          got++;
          hist.recordValue(
            Math.max(1, Date.now() - Number(VehicleTelemetry.decode(d.payload).timestampMs)),
          );
          bare.ack(d);
        },
      });
      await bare.start();
      let cpu = process.cpuUsage();
      const b = await runPublisher({
        url: broker.url,
        pkiDir: broker.pki.dir,
        vehicles: ids,
        rate,
        seconds,
      });
      await until(() => got >= b.acked, 30_000);
      const bareCpu = process.cpuUsage(cpu);
      await bare.stop();
      rows.push({
        offered: rate,
        kind: "bare subscriber",
        achieved: b.achievedRate,
        delivered: got,
        sent: b.sent,
        lost: b.sent - got,
        p50: hist.getValueAtPercentile(50),
        p99: hist.getValueAtPercentile(99),
        cpuUs: Math.round((bareCpu.user + bareCpu.system) / Math.max(1, got)),
      });
      console.log(JSON.stringify(rows.at(-1)));

      // The pipeline: decoded, validated, deduplicated, written to SQLite in micro-batches.
      const data = join(dir, `data-${rate}`);
      const pipeline = await startLocalPipeline({
        brokerUrl: broker.url,
        directory: data,
        tls: engineTls,
        clientId: engineIdentity,
      });
      cpu = process.cpuUsage();
      const p = await runPublisher({
        url: broker.url,
        pkiDir: broker.pki.dir,
        vehicles: ids,
        rate,
        seconds,
      });
      await until(
        () => pipeline.counters.stored + pipeline.counters.deadLettered >= p.acked,
        60_000,
      );
      await pipeline.engine.idle();
      const pipeCpu = process.cpuUsage(cpu);
      rows.push({
        offered: rate,
        kind: "pipeline",
        achieved: p.achievedRate,
        delivered: pipeline.counters.stored,
        sent: p.sent,
        lost: p.sent - pipeline.counters.stored - pipeline.counters.deadLettered,
        p50: pipeline.latency.getValueAtPercentile(50),
        p99: pipeline.latency.getValueAtPercentile(99),
        cpuUs: Math.round((pipeCpu.user + pipeCpu.system) / Math.max(1, pipeline.counters.stored)),
        batches: pipeline.engine.stats.batches,
      });
      console.log(JSON.stringify(rows.at(-1)));
      await pipeline.stop();
      rmSync(data, { recursive: true, force: true });
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (kind: Row["kind"]) =>
    Math.max(
      0,
      ...rows.filter((r) => r.kind === kind && r.p99 < 500 && r.lost === 0).map((r) => r.achieved),
    );
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (load average ${loadavg()[0]!.toFixed(1)} at the end), node ${process.version}, ${vehicles} vehicles over mTLS, ${seconds} s per rate (\`npx tsx bench/pipeline.bench.ts --rates ${rates.join(",")} --seconds ${seconds} --vehicles ${vehicles}\`).`,
    "",
    "| offered msg/s | path | achieved msg/s | delivered | lost | P50 ms | P99 ms | receiver CPU µs/msg |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.offered} | ${r.kind} | ${r.achieved} | ${r.delivered} | ${r.lost} | ${r.p50} | ${r.p99} | ${r.cpuUs} |`,
    ),
    "",
    `Highest rate with P99 < 500 ms and nothing lost: pipeline **${best("pipeline")} msg/s**, bare subscriber ${best("bare subscriber")} msg/s.`,
    "Receiver CPU per message is the receiving process's user + system time over the messages it",
    "delivered or stored: 1,000,000 / that figure is what one free core could sustain.",
  ].join("\n");
  console.log(`\n${table}`);
  if (process.argv.includes("--readme")) {
    const readme = readFileSync("README.md", "utf8");
    const start = "<!-- pipeline-bench:start -->";
    const stop = "<!-- pipeline-bench:end -->";
    if (readme.includes(start) && readme.includes(stop)) {
      writeFileSync(
        "README.md",
        readme.replace(new RegExp(`${start}[\\s\\S]*${stop}`), `${start}\n${table}\n${stop}`),
      );
      console.log("README.md table updated");
    }
  }
}
