/** The dead-letter queue on s3rver (an S3 API server) and on the filesystem: same keys. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDeadLetterEntry,
  deadLetterPayload,
  DecompressionError,
  dlqKey,
  dlqPrefix,
  FsDeadLetterQueue,
  parseDlqKey,
  S3DeadLetterQueue,
  type DeadLetterEntry,
  type DeadLetterQueue,
} from "../../src/cloud/index.js";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { startS3rver, type S3rverHandle } from "../support/s3rver.js";

const RECEIVED = Date.UTC(2025, 9, 10, 23, 59, 59, 500);

function entries(): DeadLetterEntry[] {
  return [
    createDeadLetterEntry({
      reasonCode: "DECOMPRESSION",
      error: new DecompressionError("decoder-error", "zstd: Unknown frame descriptor"),
      vehicleId: "VIN-1HGBH41JXMN109186",
      topic: "v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/batch",
      receivedAt: RECEIVED,
      payload: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xff, 0x00]),
      batchId: "6f1c1c7e-0000-4000-8000-000000000001",
      attempt: 1,
    }),
    createDeadLetterEntry({
      reasonCode: "UNPROCESSED_ITEMS",
      errorType: "UnprocessedItems",
      detail: "unprocessed-after-retries",
      vehicleId: "VIN-2",
      topic: "v2c/v1/us-east-1/VIN-2/telemetry/vehicle",
      receivedAt: new Date(RECEIVED + 1000), // next UTC day
      payload: Buffer.from("proto bytes"),
      messageId: "m-2",
      attempt: 3,
    }),
    createDeadLetterEntry({
      reasonCode: "PARSE",
      errorType: "ProtobufParseError",
      vehicleId: "../../etc",
      topic: "weird/topic",
      receivedAt: RECEIVED,
      payload: Buffer.from([1, 2, 3]),
      messageId: "a/b/../c",
      attempt: 1,
    }),
  ];
}

describe("dlqKey", () => {
  it("lays keys out by reason, UTC date and vehicle, with a nonce of its own per entry", () => {
    const [a, b, c] = entries() as [DeadLetterEntry, DeadLetterEntry, DeadLetterEntry];
    // The reason code is the first segment unless an error type is given.
    expect(dlqKey(a, "n1")).toBe(
      "dlq/DECOMPRESSION/2025/10/10/VIN-1HGBH41JXMN109186/6f1c1c7e-0000-4000-8000-000000000001+n1.json",
    );
    expect(dlqKey(b, "n2")).toBe("dlq/UnprocessedItems/2025/10/11/VIN-2/m-2+n2.json");
    // Defect 6: the same entry twice gets two keys (never one overwriting the other).
    expect(dlqKey(a)).not.toBe(dlqKey(a));
    expect(a.type).toBe("batch");
    expect(b.type).toBe("record");
    // Hostile segments are encoded: no traversal, no extra levels, and they decode back.
    const key = dlqKey(c, "n+3");
    expect(key.split("/")).toHaveLength(7);
    expect(key).not.toContain("/../");
    expect(parseDlqKey(key)).toEqual({
      errorType: "ProtobufParseError",
      yyyy: "2025",
      mm: "10",
      dd: "10",
      vehicleId: "../../etc",
      id: "a/b/../c",
      nonce: "n+3",
    });
    expect(dlqPrefix("DECOMPRESSION", new Date(RECEIVED), "VIN-2")).toBe(
      "dlq/DECOMPRESSION/2025/10/10/VIN-2/",
    );
  });

  it("needs a message or batch id", () => {
    const { messageId: _m, ...rest } = entries()[1] as DeadLetterEntry;
    expect(() => dlqKey(rest)).toThrow(RangeError);
  });
});

async function exercise(dlq: DeadLetterQueue): Promise<string[]> {
  const all = entries();
  const keys: string[] = [];
  for (const entry of all) keys.push(await dlq.put(entry));
  expect(keys.map((k) => parseDlqKey(k)?.id)).toEqual([
    "6f1c1c7e-0000-4000-8000-000000000001",
    "m-2",
    "a/b/../c",
  ]);
  // Defect 6: putting the same entry again never overwrites: a fourth entry.
  const again = await dlq.put(all[0] as DeadLetterEntry);
  expect(again).not.toBe(keys[0]);
  expect(await dlq.list("dlq/")).toEqual([...keys, again].sort());
  expect(await dlq.list(dlqPrefix("DECOMPRESSION"))).toEqual([keys[0], again].sort());
  await dlq.delete(again);
  expect(await dlq.list(dlqPrefix("UnprocessedItems", new Date(RECEIVED)))).toEqual([]);
  const got = await dlq.get(keys[0] as string);
  expect(got).toEqual(all[0]);
  expect(deadLetterPayload(got as DeadLetterEntry)).toEqual(
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xff, 0x00]),
  );
  expect(await dlq.get(keys[2] as string)).toEqual(all[2]);
  await dlq.delete(keys[0] as string);
  expect(await dlq.get(keys[0] as string)).toBeUndefined();
  expect(await dlq.list("dlq/")).toEqual([keys[1], keys[2]].sort());
  await dlq.delete("dlq/none/2025/01/01/v/x.json"); // deleting a missing key is not an error
  return keys;
}

describe("S3DeadLetterQueue on s3rver", () => {
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver("dlq-test");
  });
  afterAll(async () => {
    await s3.close();
  });

  it("put / list / get / delete with the dlqKey layout", async () => {
    await exercise(new S3DeadLetterQueue({ client: s3.client, bucket: s3.bucket }));
  });

  it("defect 6: puts with If-None-Match and takes a fresh key when S3 answers 412 (mocked: s3rver ignores the header)", async () => {
    const mock = mockClient(S3Client);
    const precondition = Object.assign(
      new Error("At least one of the pre-conditions you specified did not hold"),
      {
        name: "PreconditionFailed",
        $metadata: { httpStatusCode: 412 },
      },
    );
    mock.on(PutObjectCommand).rejectsOnce(precondition).resolves({});
    try {
      const dlq = new S3DeadLetterQueue({
        client: new S3Client({ region: "eu-west-3" }),
        bucket: "b",
      });
      const key = await dlq.put(entries()[1] as DeadLetterEntry);
      const puts = mock.commandCalls(PutObjectCommand);
      expect(puts).toHaveLength(2);
      expect(puts.every((c) => c.args[0].input.IfNoneMatch === "*")).toBe(true);
      expect(puts[0]!.args[0].input.Key).not.toBe(puts[1]!.args[0].input.Key);
      expect(key).toBe(puts[1]!.args[0].input.Key);
    } finally {
      mock.restore();
    }
  });

  it("lists past one page of results (continuation tokens; mocked: s3rver fails on max-keys)", async () => {
    const mock = mockClient(S3Client);
    mock
      .on(ListObjectsV2Command, { Prefix: "dlq/", ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: "dlq/b" }, { Key: "dlq/a" }],
        IsTruncated: true,
        NextContinuationToken: "t1",
      })
      .on(ListObjectsV2Command, { Prefix: "dlq/", ContinuationToken: "t1" })
      .resolves({ Contents: [{ Key: "dlq/c" }], IsTruncated: false });
    try {
      const dlq = new S3DeadLetterQueue({
        client: new S3Client({ region: "us-east-1" }),
        bucket: "b",
      });
      expect(await dlq.list("dlq/")).toEqual(["dlq/a", "dlq/b", "dlq/c"]);
    } finally {
      mock.restore();
    }
  });
});

describe("FsDeadLetterQueue", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "fs-dlq-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("put / list / get / delete with the same keys as S3, as files under the root", async () => {
    const keys = await exercise(new FsDeadLetterQueue({ root }));
    const text = await readFile(join(root, ...(keys[1] as string).split("/")), "utf8");
    expect(JSON.parse(text)).toMatchObject({ reasonCode: "UNPROCESSED_ITEMS", attempt: 3 });
  });

  it("refuses keys that escape the root", async () => {
    const dlq = new FsDeadLetterQueue({ root });
    await expect(dlq.get("../outside.json")).rejects.toThrow(RangeError);
    expect(await new FsDeadLetterQueue({ root: join(root, "missing") }).list("dlq/")).toEqual([]);
  });
});
