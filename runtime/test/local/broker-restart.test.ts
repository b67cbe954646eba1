import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerSpec } from "../../src/local/broker-config.js";
import { EngineConnection, type Delivery } from "../../src/local/engine-connection.js";
import { startLocalBroker, type LocalBroker } from "../../src/local/local-broker.js";
import { freePort } from "../../src/testing/ports.js";

const spec: BrokerSpec = {
  channels: [{ address: "fleet/{car}/data", vehicleAccess: "write" }],
  vehicleParameter: "car",
  maxPacketBytes: 131072,
  maxTopicAlias: 0,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// What Mosquitto 2.0.11 does with a restored session after a crash (the broker-restart window):
// the engine is down, the broker is SIGKILLed and restarted, a vehicle publishes, then the
// engine comes back. With the MQTT maximum Receive Maximum (what the engine announces) every
// message arrives; smaller values delivered only part of them in some probes (README).
describe("broker restart window (Mosquitto 2.0, persistent engine session)", () => {
  let dir: string;
  let broker: LocalBroker;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "v2c-restart-"));
    broker = await startLocalBroker({
      spec,
      directory: dir,
      port: await freePort(),
      engineIdentity: "engine",
    });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function window(receiveMaximum: number, messages: number): Promise<number> {
    const seen = new Set<string>();
    const tls = await broker.tlsFor("engine");
    const engine: EngineConnection = new EngineConnection({
      url: broker.url,
      clientId: "engine",
      filters: ["fleet/+/data"],
      tls,
      receiveMaximum,
      onDelivery: (d: Delivery) => {
        seen.add(d.payload.toString());
        engine.ack(d);
      },
    });
    await engine.start();
    broker.process.save(); // the session on disk, as the supervisor does after subscribing
    await sleep(300);
    engine.kill();
    await broker.process.kill("SIGKILL");
    await broker.process.start();
    const car = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: "car1",
      reconnectPeriod: 0,
      ...(await broker.tlsFor("car1")),
    });
    for (let i = 0; i < messages; i++)
      await car.publishAsync("fleet/car1/data", `m${i}`, { qos: 1 });
    await car.endAsync();
    await engine.start();
    const end = Date.now() + 5000;
    while (seen.size < messages && Date.now() < end) await sleep(50);
    await engine.stop();
    return seen.size;
  }

  it("with Receive Maximum 65535 every message published before the engine is back arrives", async () => {
    expect(await window(65535, 600)).toBe(600);
  }, 30_000);
});
