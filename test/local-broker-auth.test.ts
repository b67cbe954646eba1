import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerSpec, engineIdentity } from "../generated/local/src/broker-spec.js";
import { aclPattern, channelFilter } from "../runtime/src/local/broker-config.js";
import { startLocalBroker, type LocalBroker } from "../runtime/src/local/local-broker.js";
import { vehicleIds } from "../runtime/src/local/vehicle-ids.js";
import {
  LocalSetupError,
  assertPortFree,
  findMosquitto,
} from "../runtime/src/local/mosquitto-process.js";
import { freePort } from "../runtime/src/testing/ports.js";

/** A topic of a channel address for `vehicle` (other parameters: any value, the ACL has `+`). */
function topicOf(address: string, vehicle: string): string {
  return address.replace(/\{([^}]+)\}/g, (_, name: string) =>
    name === brokerSpec.vehicleParameter ? vehicle : "p",
  );
}

// The generated broker config attacked with real certificates on a real Mosquitto.
describe("local broker: the config generated from the spec (mTLS, identity, ACL)", () => {
  let dir: string;
  let broker: LocalBroker;
  const [A, B] = vehicleIds("VIN-1HGBH41JXMN109186", "^VIN-[A-HJ-NPR-Z0-9]{17}$", 2) as [
    string,
    string,
  ];
  const sendAddress = brokerSpec.channels.find((c) => c.vehicleAccess === "write")!.address;
  const readAddress = brokerSpec.channels.find((c) => c.vehicleAccess === "read")?.address;
  const clients: mqtt.MqttClient[] = [];
  const connect = async (cn: string | undefined, clientId: string) => {
    const tls = cn
      ? await broker.tlsFor(cn)
      : { ca: readFileSync(broker.pki.caPath), servername: "localhost" };
    const c = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...tls,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "v2c-local-auth-"));
    broker = await startLocalBroker({
      spec: brokerSpec,
      directory: dir,
      port: await freePort(),
      engineIdentity,
    });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
  });

  it("writes the spec's limits and identity rules, and no `log_type all`", () => {
    const conf = readFileSync(broker.configPath, "utf8");
    expect(conf).toContain(`max_packet_size ${brokerSpec.maxPacketBytes}`);
    expect(conf).toContain(`max_topic_alias ${brokerSpec.maxTopicAlias}`);
    expect(conf).toMatch(
      /require_certificate true\nuse_identity_as_username true\nuse_username_as_clientid true/,
    );
    expect(conf).toContain("allow_anonymous false");
    expect(conf).toContain("persistence true");
    expect(conf).not.toMatch(/log_type all/);
    const acl = readFileSync(broker.aclPath, "utf8");
    for (const c of brokerSpec.channels)
      expect(acl).toContain(
        `pattern ${c.vehicleAccess} ${aclPattern(c.address, brokerSpec.vehicleParameter)}`,
      );
    expect(acl).toContain(`user ${engineIdentity}`);
  });

  it("a vehicle publishes on its own topic", async () => {
    const a = await connect(A, A);
    const ack = await a.publishAsync(topicOf(sendAddress, A), Buffer.from("x"), { qos: 1 });
    expect((ack as { reasonCode?: number } | undefined)?.reasonCode ?? 0).toBeLessThan(0x80);
  });

  /** Mosquitto 2.0.11 answers a denied SUBSCRIBE by closing the connection (or SUBACK 0x87). */
  const subscribeRefused = async (c: mqtt.MqttClient, filter: string) => {
    try {
      const granted = await c.subscribeAsync(filter, { qos: 1 });
      return granted[0]!.qos >= 0x80;
    } catch {
      return true;
    }
  };

  it("A on B's topics is refused (publish 0x87; subscribing is refused)", async () => {
    const a = await connect(A, `${A}-x`);
    await expect(
      a.publishAsync(topicOf(sendAddress, B), Buffer.from("x"), { qos: 1 }),
    ).rejects.toMatchObject({ code: 0x87 });
    if (readAddress) expect(await subscribeRefused(a, topicOf(readAddress, B))).toBe(true);
    // A wildcard subscription may be granted, but Mosquitto checks `read` on every delivery:
    // B's messages never reach A.
    const again = await connect(A, A);
    const got: string[] = [];
    again.on("message", (t) => got.push(t));
    await again.subscribeAsync(channelFilter(sendAddress), { qos: 1 }).catch(() => undefined);
    const b = await connect(B, B);
    await b.publishAsync(topicOf(sendAddress, B), Buffer.from("from B"), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([]);
  });

  it("A's certificate cannot act as client id B: B is not kicked and A stays A", async () => {
    const b = await connect(B, B);
    let bClosed = false;
    b.on("close", () => (bClosed = true));
    const a = await connect(A, B);
    await new Promise((r) => setTimeout(r, 500));
    expect(bClosed).toBe(false);
    // Still A: B's topic is refused to it.
    await expect(
      a.publishAsync(topicOf(sendAddress, B), Buffer.from("x"), { qos: 1 }),
    ).rejects.toMatchObject({ code: 0x87 });
    const log = readFileSync(join(dir, "broker", "mosquitto.log"), "utf8");
    expect(log).toMatch(new RegExp(`as ${A} .*u'${A}'`));
  });

  it("a client without a certificate is refused", async () => {
    await expect(connect(undefined, "anonymous")).rejects.toThrow();
  });

  it("the rules engine identity reads every send channel", async () => {
    const e = await connect(engineIdentity, engineIdentity);
    const granted = await e.subscribeAsync(channelFilter(sendAddress), { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
  });

  it("setup problems are one-line errors: busy port, missing binary", async () => {
    await expect(assertPortFree(broker.port)).rejects.toThrow(LocalSetupError);
    await expect(assertPortFree(broker.port)).rejects.toThrow(/already in use/);
    expect(() => findMosquitto("/nonexistent/mosquitto")).toThrow(
      /mosquitto not found.*apt-get install mosquitto/,
    );
  });
});
