import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { pubackScanner } from "../bench/pipeline-publisher.js";

// The pipeline bench's publishers count PUBACKs straight from the socket's bytes; a miscount
// would report messages lost (or acked) that were not.
describe("pipeline bench: pubackScanner", () => {
  it("finds every PUBACK and its reason code, however the bytes are chunked", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            messageId: fc.integer({ min: 1, max: 65535 }),
            reasonCode: fc.constantFrom(0, 0x10, 0x80, 0x87, 0x97),
            pingresp: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (acks, cuts) => {
          const bytes = Buffer.concat(
            acks.flatMap((a) => [
              mqttPacket.generate(
                { cmd: "puback", messageId: a.messageId, reasonCode: a.reasonCode },
                { protocolVersion: 5 },
              ),
              ...(a.pingresp ? [mqttPacket.generate({ cmd: "pingresp" })] : []),
            ]),
          );
          const seen: number[] = [];
          const scan = pubackScanner((code) => seen.push(code));
          let at = 0;
          for (let k = 0; at < bytes.length; k++) {
            const next = Math.min(bytes.length, at + cuts[k % cuts.length]!);
            scan(bytes.subarray(at, next));
            at = next;
          }
          expect(seen).toEqual(acks.map((a) => a.reasonCode));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
