/** Re-driving the rule event of a failed invocation (a Lambda on-failure destination record). */
import { afterEach, describe, expect, it } from "vitest";
import { messageKeyId } from "../../src/cloud/ports.js";
import { RuleEventError } from "../../src/handlers/event.js";
import { redriveRuleEvent } from "../../src/handlers/redrive.js";
import { localRig, storedIn, type LocalRig } from "./rigs.js";
import {
  CAR_A,
  KV,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  replayRoutes,
  ruleEvent,
  zstdBatch,
} from "./test-spec.js";

let rig: LocalRig;
afterEach(() => rig?.close());

describe("redriveRuleEvent", () => {
  it("routes a destination record's requestPayload by topic: record and batch; a second redrive is a duplicate", async () => {
    rig = localRig();
    const m = reading();
    const records = [reading(), reading()];
    const recordEvent = ruleEvent(recordTopic(CAR_A), encodeReading(m));
    const batchEvent = ruleEvent(batchTopic(CAR_A), await zstdBatch(records.map(encodeReading)));
    const destination = (e: unknown) => ({
      version: "1.0",
      requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
      requestPayload: e,
      responseContext: { statusCode: 200, functionError: "Unhandled" },
    });
    const one = await redriveRuleEvent(
      replayRoutes,
      rig.ports,
      rig.breakers,
      destination(recordEvent),
    );
    const many = await redriveRuleEvent(
      replayRoutes,
      rig.ports,
      rig.breakers,
      JSON.stringify(batchEvent),
    );
    expect(one).toMatchObject({ stored: 1 });
    expect(many).toMatchObject({ stored: 2 });
    const keys = [m, ...records].map((r) =>
      messageKeyId({ vehicleId: CAR_A, messageId: r.messageId }),
    );
    expect(await storedIn(rig.ports, KV, keys)).toEqual(keys);
    expect(
      await redriveRuleEvent(replayRoutes, rig.ports, rig.breakers, destination(recordEvent)),
    ).toMatchObject({
      stored: 0,
      duplicates: 1,
    });
  });

  it("leaves what no operation's topic matches, and refuses what is not a rule event", async () => {
    rig = localRig();
    const other = ruleEvent("elsewhere/x", encodeReading(reading()));
    expect(
      await redriveRuleEvent(replayRoutes, rig.ports, rig.breakers, { requestPayload: other }),
    ).toBeUndefined();
    await expect(
      redriveRuleEvent(replayRoutes, rig.ports, rig.breakers, { requestPayload: { topic: 1 } }),
    ).rejects.toBeInstanceOf(RuleEventError);
  });
});
