/**
 * Issue 10 defect 1 with real processes: a handler process is SIGKILLed after it claimed a
 * message and before its writes finished; the redelivery must store the message (the old
 * pipeline committed the claim first and dropped the redelivery as a duplicate).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageKeyId } from "../../src/cloud/ports.js";
import { RedeliveryRequired, type InvocationSummary } from "../../src/handlers/outcome.js";
import { startDynalite, type DynaliteHandle } from "../support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../support/s3rver.js";
import { startHandlerProcess } from "./child.js";
import { AWS_TABLES, awsRig } from "./aws-rig.js";
import { invoke, localRig, storedIn } from "./rigs.js";
import {
  CAR_A,
  KV,
  SERIES,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  ruleEvent,
  zstdBatch,
} from "./test-spec.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "h4-crash-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeEvents(name: string, events: unknown[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(events));
  return path;
}

describe("defect 1: killed between the claim and the end of the writes (SIGKILL)", () => {
  it("locally: claim and writes are one transaction; the redelivery stores the record in both sinks", async () => {
    const data = join(dir, "local-record");
    const m = reading();
    const events = writeEvents("local-record", [ruleEvent(recordTopic(CAR_A), encodeReading(m))]);
    // The key-value write happens, then the series write hangs: kill there.
    const proc = await startHandlerProcess([events, "0", "local", data], { HANG_IN: SERIES });
    await proc.waitFor("writing");
    await proc.kill();
    expect(proc.acked).toEqual([]);
    const rig = localRig({ directory: data });
    try {
      const key = messageKeyId({ vehicleId: CAR_A, messageId: m.messageId });
      // Nothing of the killed invocation survived (no claim, no half write).
      expect(await storedIn(rig.ports, KV, [key])).toEqual([]);
      const s = (await rig.record(
        ruleEvent(recordTopic(CAR_A), encodeReading(m)),
      )) as InvocationSummary;
      expect(s).toMatchObject({ stored: 1, duplicates: 0, deadLettered: 0 });
      expect(await storedIn(rig.ports, KV, [key])).toEqual([key]);
      const rows = rig.ports.db.prepare(`SELECT count(*) AS n FROM series_${SERIES}`).get() as {
        n: number;
      };
      expect(rows.n).toBe(1);
    } finally {
      rig.close();
    }
  });

  it("locally, a batch: killed mid-write, the redelivered batch stores every record", async () => {
    const data = join(dir, "local-batch");
    const records = [reading(), reading(), reading()];
    const payload = await zstdBatch(records.map(encodeReading));
    const events = writeEvents("local-batch", [ruleEvent(batchTopic(CAR_A), payload)]);
    const proc = await startHandlerProcess([events, "0", "local", data], { HANG_IN: SERIES });
    await proc.waitFor("writing");
    await proc.kill();
    const rig = localRig({ directory: data });
    try {
      const s = (await rig.batch(ruleEvent(batchTopic(CAR_A), payload))) as InvocationSummary;
      expect(s).toMatchObject({ stored: 3, duplicates: 0 });
    } finally {
      rig.close();
    }
  });

  describe("on the AWS adapters (dynalite, s3rver)", () => {
    let dyn: DynaliteHandle;
    let s3: S3rverHandle;
    beforeAll(async () => {
      [dyn, s3] = await Promise.all([
        startDynalite([
          { name: AWS_TABLES.records, partitionKey: "pk" },
          { name: AWS_TABLES.dedup, partitionKey: "pk" },
        ]),
        startS3rver("dlq"),
      ]);
    });
    afterAll(async () => {
      await Promise.all([dyn?.close(), s3?.close()]);
    });

    it("the in-progress claim is not a duplicate: redelivered inside the lease it fails for a retry; after it, it is stored", async () => {
      const m = reading();
      const event = ruleEvent(recordTopic(CAR_A), encodeReading(m));
      const events = writeEvents("aws-record", [event]);
      const proc = await startHandlerProcess([events, "0", "aws", dyn.endpoint, s3.endpoint], {
        HANG_IN: SERIES,
      });
      await proc.waitFor("writing");
      await proc.kill();
      const rig = awsRig(dyn, s3);
      const key = messageKeyId({ vehicleId: CAR_A, messageId: m.messageId });
      expect(await invoke(rig.record, event)).toBeInstanceOf(RedeliveryRequired);
      rig.clock += 10_001; // the platform's retry comes after the function timeout
      const s = (await rig.record(event)) as InvocationSummary;
      expect(s).toMatchObject({ stored: 1, duplicates: 0, deadLettered: 0 });
      expect(await storedIn(rig.ports, KV, [key])).toEqual([key]);
      expect(rig.timestream.calls()).toHaveLength(1);
      expect((await rig.ports.dlq.list("dlq/")).length).toBe(0);
    });
  });
});
