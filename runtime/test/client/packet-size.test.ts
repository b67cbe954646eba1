import { describe, expect, it } from "vitest";
import { encodedPublishPacketSize, publishPacketSize } from "../../src/client/packet-size.js";

describe("publishPacketSize", () => {
  it("equals the size mqtt-packet encodes, across the remaining-length boundaries", () => {
    const topics = ["", "v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/vehicle", "ü/émoji/🚗"];
    const sizes = [
      0, 1, 100, 120, 127, 128, 200, 16_300, 16_383, 16_384, 16_500, 131_072, 2_097_100, 2_097_152,
    ];
    for (const topic of topics) {
      for (const alias of [undefined, 1, 65_535]) {
        for (const n of sizes) {
          const payload = new Uint8Array(n);
          expect(publishPacketSize({ topic, alias }, payload), `${topic}|${alias}|${n}`).toBe(
            encodedPublishPacketSize({ topic, alias }, payload),
          );
        }
      }
    }
  });
});
