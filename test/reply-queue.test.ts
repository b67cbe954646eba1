// Request/reply on AWS without an MQTT connection: the cloud publishes a request, the vehicle
// (the generated vehicle client) answers on its reply topic, an IoT reply rule puts the reply
// into the SQS reply queue, and QueueReplyTransport reads it there. Real pieces: Mosquitto (the
// broker), fauxqs (an SQS API emulator from npm, spoken to with @aws-sdk/client-sqs over HTTP),
// the generated @v2c/commands and @v2c/ecu-client. The IoT rule itself is played by a forwarder
// that writes exactly the event the rule SQL (`ruleSql`, RULE_EVENT_FIELDS) produces.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { createVehicleCommands } from "../generated/commands/src/index.js";
import { createVehicleClient } from "../generated/ecu-client/src/index.js";
import { channels } from "../generated/spec/src/index.js";
import { SqsFailedInvocationQueue } from "../runtime/src/cloud/sqs-failed-invocations.js";
import { MqttCommandTransport } from "../runtime/src/commander/mqtt-transport.js";
import { QueueReplyTransport } from "../runtime/src/commander/queue-reply-transport.js";
import type { RuleEvent } from "../runtime/src/handlers/event.js";
import { startMosquitto } from "../runtime/src/testing/mosquitto.js";

const VEHICLE = "VIN-1HGBH41JXMN109186";
const PARAMS = { region: "us-east-1", vehicle_id: VEHICLE } as const;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function rig() {
  const broker = await startMosquitto();
  cleanups.push(() => broker.cleanup());
  const sqs = await startFauxqs({ port: 0, logger: false });
  cleanups.push(() => sqs.stop());
  const client = new SQSClient({
    endpoint: sqs.address,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "replies" }));
  const queue = new SqsFailedInvocationQueue({ client, name: "replies", queueUrl: QueueUrl! });
  return { broker, client, queueUrl: QueueUrl!, queue };
}

/** The IoT reply rule: every message on the reply filter, as the rule SQL's event, into SQS. */
async function replyRule(brokerUrl: string, filter: string, client: SQSClient, queueUrl: string) {
  const mqtt = await connectAsync(brokerUrl, {
    protocolVersion: 5,
    clientId: `rule-${randomUUID()}`,
  });
  cleanups.push(() => mqtt.endAsync());
  mqtt.on("message", (topic, payload) => {
    const event: RuleEvent = {
      payload: Buffer.from(payload).toString("base64"),
      topic,
      clientId: VEHICLE,
      receivedAt: Date.now(),
    };
    void client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }),
    );
  });
  await mqtt.subscribeAsync(filter, { qos: 1 });
}

function vehicle(url: string) {
  const dir = mkdtempSync(join(tmpdir(), "v2c-reply-queue-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const car = createVehicleClient({
    server: "production-us-east-1",
    vehicleId: VEHICLE,
    url,
    queuePath: join(dir, "queue.db"),
    topicParams: { region: "us-east-1" },
    timeouts: { connectMs: 3_000, subscribeMs: 3_000, endMs: 500 },
  });
  cleanups.push(() => car.close());
  return car;
}

describe("QueueReplyTransport: replies read from the reply queue", () => {
  it("resolves a request with the vehicle's reply that the reply rule queued", async () => {
    const { broker, client, queueUrl, queue } = await rig();
    const replyFilter = (channels as Record<string, { filter: string }>).commandResult!.filter;
    await replyRule(broker.url, replyFilter, client, queueUrl);
    const car = vehicle(broker.url);
    await car.onReceiveCommand(() => ({}));
    car.start();
    await car.whenReady(5_000);
    // Publish-only side (on AWS: IotDataCommandTransport); here the broker plays IoT Core.
    const publisher = await MqttCommandTransport.connect({
      url: broker.url,
      clientId: `cloud-${randomUUID()}`,
      timeoutMs: 5_000,
    });
    const errors: unknown[] = [];
    const commands = createVehicleCommands(
      new QueueReplyTransport({ publisher, queues: [queue], onError: (e) => errors.push(e) }),
    );
    cleanups.push(() => commands.close());
    const id = randomUUID();
    const reply = await commands.requestReceiveCommand(
      PARAMS,
      { commandId: id, expiresAtMs: Date.now() + 60_000 },
      { timeoutMs: 10_000 },
    );
    expect(reply.commandId).toBe(id);
    expect(errors).toEqual([]);
  });

  it("deletes and reports a queued message that is not a rule event, and keeps reading", async () => {
    const { client, queueUrl, queue, broker } = await rig();
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not json" }));
    const publisher = await MqttCommandTransport.connect({
      url: broker.url,
      clientId: `cloud-${randomUUID()}`,
      timeoutMs: 5_000,
    });
    const errors: unknown[] = [];
    const seen: string[] = [];
    const transport = new QueueReplyTransport({
      publisher,
      queues: [queue],
      waitMs: 0,
      onError: (e) => errors.push(e),
    });
    cleanups.push(() => transport.close());
    await transport.subscribe("a/+/reply", (m) => seen.push(m.topic));
    const event: RuleEvent = { payload: "", topic: "a/car/reply", clientId: "car", receivedAt: 1 };
    await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }),
    );
    const deadline = Date.now() + 5_000;
    while ((seen.length === 0 || errors.length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(["a/car/reply"]);
    expect(errors).toHaveLength(1);
    expect(await queue.receive({ max: 10, waitMs: 0, visibilityMs: 1_000 })).toEqual([]);
  });
});
