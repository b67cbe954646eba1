// The Lambda bundles as deployed: synthesize the generated CDK app, then load each function's
// bundle in a fresh plain `node` process and invoke it with events built from the synthesized
// template's own rule SQL, against dynalite (DynamoDB), s3rver (S3) and fauxqs (SQS: the
// on-failure queues the replay function drains). Nothing is mocked; the AWS SDK v3 is resolved
// from node_modules, as the Lambda runtime provides it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynalite, type DynaliteHandle } from "../runtime/test/support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../runtime/test/support/s3rver.js";
import {
  readAssembly,
  resolveValue,
  type SynthFunction,
  type SynthStack,
} from "./bundles-support/assembly.js";
import { invokeBundle } from "./bundles-support/invoke.js";
import { operationsOf, type OperationPayloads } from "./bundles-support/payloads.js";
import { ruleEvent, topicMatches, parseRuleSql } from "./bundles-support/rule-sql.js";
import { REPO } from "./support/spec-fixture.js";
import { ON_FAILURE_QUEUES_ENV } from "../runtime/src/deploy-env.js";

/** The variable naming a function's spec name (generated/infra `HANDLER_ENVIRONMENT.serviceName`). */
const HANDLER_SERVICE_ENV = "POWERTOOLS_SERVICE_NAME";

const SYNTH_TIMEOUT_MS = 240_000;

let dir: string;
let stack: SynthStack;
let dynalite: DynaliteHandle;
let s3: S3rverHandle;
let sqs: Awaited<ReturnType<typeof startFauxqs>>;
let sqsClient: SQSClient;
let names: Record<string, string>;
let operations: OperationPayloads[];

/** S3 bucket names: lower case letters and digits, 3-63 characters. */
const bucketName = (logicalId: string) =>
  logicalId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 63);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "v2c-bundles-"));
  const outdir = join(dir, "cdk.out");
  const synth = spawnSync(
    join(REPO, "node_modules/.bin/tsx"),
    ["--conditions=v2c-source", "generated/infra/bin/app.ts"],
    {
      cwd: REPO,
      env: { ...process.env, CDK_OUTDIR: outdir, V2C_STAGE: "bundles" },
      encoding: "utf8",
      timeout: SYNTH_TIMEOUT_MS,
    },
  );
  if (synth.status !== 0)
    throw new Error(`synth failed (${synth.status}):\n${synth.stderr}\n${synth.stdout}`);
  // The Lambda runtime provides the AWS SDK v3 the bundles leave external.
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  stack = readAssembly(outdir);

  dynalite = await startDynalite([]);
  s3 = await startS3rver("unused-bundles");
  names = {};
  for (const [id, table] of stack.ofType("AWS::DynamoDB::Table")) {
    const p = table.Properties!;
    await dynalite.client.send(
      new CreateTableCommand({
        TableName: id,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    names[id] = id;
  }
  for (const [id] of stack.ofType("AWS::S3::Bucket")) {
    names[id] = bucketName(id);
    await s3.client.send(new CreateBucketCommand({ Bucket: names[id] }));
  }
  sqs = await startFauxqs({ port: 0, logger: false });
  sqsClient = new SQSClient({
    endpoint: sqs.address,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  for (const [id] of stack.ofType("AWS::SQS::Queue")) {
    const created = await sqsClient.send(new CreateQueueCommand({ QueueName: id.slice(-80) }));
    names[id] = created.QueueUrl!;
  }

  const harness = (await import("../generated/handlers/test/fmea/harness.js")) as {
    harness: Parameters<typeof operationsOf>[0];
  };
  operations = operationsOf(harness.harness);
}, SYNTH_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await dynalite?.close();
  await s3?.close();
  sqsClient?.destroy();
  await sqs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What a function's process sees: its template environment resolved, the SDK pointed at the local peers. */
function environmentOf(fn: SynthFunction): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(fn.environment).map(([k, v]) => [k, resolveValue(v, names)]),
  );
  return {
    ...env,
    AWS_REGION: "local-test-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.address,
    V2C_TEST_LOOPBACK_DOMAIN: "localhost",
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
    AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
  };
}

const bundleOf = (fn: SynthFunction) => join(fn.assetDir, `${fn.handler.split(".")[0]}.mjs`);

async function objectCount(): Promise<number> {
  let total = 0;
  for (const [id] of stack.ofType("AWS::S3::Bucket")) {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: names[id] }));
    total += listed.KeyCount ?? 0;
  }
  return total;
}

async function itemCount(): Promise<number> {
  let total = 0;
  for (const [id, table] of stack.ofType("AWS::DynamoDB::Table")) {
    if (table.Properties!.TimeToLiveSpecification) continue;
    total += (await dynalite.client.send(new ScanCommand({ TableName: id }))).Count ?? 0;
  }
  return total;
}

/** The rule that routes `op`'s topic, its function, and an event builder from the rule's SQL. */
function routed(op: OperationPayloads) {
  const rule = stack.rules.find((r) => topicMatches(parseRuleSql(r.sql).filter, op.topic));
  if (!rule) throw new Error(`no topic rule matches ${op.operation}'s topic ${op.topic}`);
  const fn = stack.functions.find((f) => f.logicalId === rule.functionLogicalId)!;
  const event = (payload: Uint8Array, receivedAt = Date.now()) =>
    ruleEvent(rule.sql, { topic: op.topic, clientId: op.vehicleId, payload, receivedAt });
  return { rule, fn, event };
}

describe("Lambda bundles as deployed", () => {
  it("synthesizes one portable bundle per function (no native addon beside it)", () => {
    expect(stack.functions.length).toBeGreaterThan(0);
    for (const fn of stack.functions) {
      expect(existsSync(bundleOf(fn)), fn.logicalId).toBe(true);
      expect(spawnSync("find", [fn.assetDir, "-name", "*.node"], { encoding: "utf8" }).stdout).toBe(
        "",
      );
    }
    expect(stack.rules.length).toBeGreaterThan(0);
  });

  it("routes every rule to a function whose bundle loads in plain node", async () => {
    for (const fn of stack.functions) {
      const [loaded] = await invokeBundle(bundleOf(fn), environmentOf(fn), [{}]);
      // Any outcome but a load failure: the process ran the handler and reported.
      expect(loaded, fn.logicalId).toBeDefined();
    }
  });

  it("stores a valid record, detects its duplicate and dead-letters an invalid payload without throwing", async () => {
    const records = operations.filter((o) => o.kind === "record");
    expect(records.length).toBeGreaterThan(0);
    for (const op of records) {
      const { fn, event } = routed(op);
      const valid = op.record(Date.now() - 60_000).bytes;
      const items = await itemCount();
      const objects = await objectCount();
      const [stored, duplicate, invalid] = await invokeBundle(bundleOf(fn), environmentOf(fn), [
        event(valid),
        event(valid),
        event(Uint8Array.from([0x0a, 0xff, 0xff])),
      ]);
      expect(stored, JSON.stringify(stored)).toMatchObject({ ok: true, result: { stored: 1 } });
      expect(duplicate, JSON.stringify(duplicate)).toMatchObject({
        ok: true,
        result: { stored: 0, duplicates: 1 },
      });
      expect(invalid, JSON.stringify(invalid)).toMatchObject({
        ok: true,
        result: { deadLettered: 1 },
      });
      expect(await itemCount()).toBeGreaterThan(items);
      expect(await objectCount()).toBe(objects + 1);
    }
  });

  it("stores every record of a batch", async () => {
    for (const op of operations.filter((o) => o.kind === "batch")) {
      const { fn, event } = routed(op);
      const records = Array.from({ length: 5 }, () => op.record(Date.now() - 60_000).bytes);
      const payload = await op.batchPayload!(records, Date.now() - 30_000);
      const items = await itemCount();
      const [result] = await invokeBundle(bundleOf(fn), environmentOf(fn), [event(payload)]);
      expect(result, JSON.stringify(result)).toMatchObject({
        ok: true,
        result: { received: 5, stored: 5 },
      });
      expect(await itemCount()).toBeGreaterThanOrEqual(items + 5);
    }
  });

  it("runs the replay function over the dead-letter bucket", async () => {
    const routedIds = new Set(stack.rules.map((r) => r.functionLogicalId));
    const replay = stack.functions.filter((f) => !routedIds.has(f.logicalId));
    expect(replay).toHaveLength(1);
    const [result] = await invokeBundle(bundleOf(replay[0]!), environmentOf(replay[0]!), [{}]);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(
      (result as unknown as { result: { listed: number } }).result.listed,
    ).toBeGreaterThanOrEqual(1);
  });
});

describe("the replay bundle drains the on-failure queues", () => {
  it("dry run routes a queued failed invocation; a drain re-drives it, stores it and empties the queue", async () => {
    const routedIds = new Set(stack.rules.map((r) => r.functionLogicalId));
    const replay = stack.functions.find((f) => !routedIds.has(f.logicalId))!;
    const env = environmentOf(replay);
    const queues = JSON.parse(env[ON_FAILURE_QUEUES_ENV] ?? "{}") as Record<string, string>;
    const op = operations.find((o) => o.kind === "record")!;
    const { fn, event } = routed(op);
    // The failed invocation as Lambda leaves it on the routed function's on-failure queue.
    const queueUrl = queues[environmentOf(fn)[HANDLER_SERVICE_ENV]!];
    expect(queueUrl, `on-failure queue of ${fn.logicalId}`).toBeDefined();
    const bytes = op.record(Date.now() - 60_000).bytes;
    await sqsClient.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          version: "1.0",
          requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
          requestPayload: event(bytes),
          responseContext: { statusCode: 200, functionError: "Unhandled" },
          responsePayload: { errorType: "Error", errorMessage: "downstream unavailable" },
        }),
      }),
    );
    const items = await itemCount();
    const [dry, drained, again] = await invokeBundle(bundleOf(replay), env, [
      { source: "on-failure", dryRun: true, waitMs: 0 },
      { source: "on-failure", waitMs: 0 },
      { source: "on-failure", waitMs: 0 },
    ]);
    expect(dry, JSON.stringify(dry)).toMatchObject({
      ok: true,
      result: { listed: 1, planned: 1, replayed: 0 },
    });
    expect(drained, JSON.stringify(drained)).toMatchObject({
      ok: true,
      result: { listed: 1, replayed: 1, onFailure: { redriven: 1, stored: 1 } },
    });
    expect(again, JSON.stringify(again)).toMatchObject({ ok: true, result: { listed: 0 } });
    expect(await itemCount()).toBeGreaterThan(items);
    const { Attributes } = await sqsClient.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  });
});
