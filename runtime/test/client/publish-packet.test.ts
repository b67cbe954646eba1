import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { encodePublish, encodePubrel, markDup } from "../../src/client/publish-packet.js";

/** The session writes its own PUBLISH bytes: they must be what MQTT.js's encoder writes. */
describe("encodePublish: byte-identical to mqtt-packet (the encoder MQTT.js uses)", () => {
  const topics = ["", "a/b", "v2c/ü/x".repeat(3)];
  const sizes = [0, 1, 100, 117, 16_384 - 20, 16_384, 2_097_152];
  it("across topics, QoS, retain, alias, expiry and remaining-length boundaries", () => {
    let compared = 0;
    for (const topic of topics)
      for (const qos of [0, 1, 2] as const)
        for (const retain of [false, true])
          for (const alias of [undefined, 1, 300])
            for (const expiry of [undefined, 0, 120, 70_000])
              for (const n of sizes) {
                if (topic === "" && alias === undefined) continue;
                const payload = Buffer.alloc(n, 3);
                const mine = encodePublish({
                  topic,
                  payload,
                  qos,
                  retain,
                  packetId: 513,
                  alias,
                  messageExpiryS: expiry,
                });
                const properties: Record<string, number> = {};
                if (expiry !== undefined) properties.messageExpiryInterval = expiry;
                if (alias !== undefined) properties.topicAlias = alias;
                const ref = mqttPacket.generate(
                  {
                    cmd: "publish",
                    topic,
                    payload,
                    qos,
                    retain,
                    dup: false,
                    messageId: 513,
                    ...(Object.keys(properties).length > 0 ? { properties } : {}),
                  },
                  { protocolVersion: 5 },
                );
                expect(mine.equals(ref), `${topic}|${qos}|${retain}|${alias}|${expiry}|${n}`).toBe(
                  true,
                );
                compared++;
              }
    expect(compared).toBeGreaterThan(1000);
  });

  it("markDup sets only the DUP bit; mqtt-packet parses the short PUBREL", () => {
    const p = encodePublish({
      topic: "t",
      payload: Buffer.from("x"),
      qos: 1,
      retain: true,
      packetId: 7,
      alias: undefined,
      messageExpiryS: undefined,
    });
    markDup(p);
    const ref = mqttPacket.generate(
      {
        cmd: "publish",
        topic: "t",
        payload: Buffer.from("x"),
        qos: 1,
        retain: true,
        dup: true,
        messageId: 7,
      },
      { protocolVersion: 5 },
    );
    expect(p.equals(ref)).toBe(true);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const parsed: mqttPacket.Packet[] = [];
    parser.on("packet", (packet) => parsed.push(packet));
    parser.parse(encodePubrel(65_535));
    expect(parsed).toMatchObject([{ cmd: "pubrel", messageId: 65_535 }]);
  });
});
