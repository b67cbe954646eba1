import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  CommandPublisher,
  IotDataCommandTransport,
  MqttCommandTransport,
  ReceiveUnsupportedError,
  RequestTimeoutError,
  type CommandOperation,
  type ReplyBinding,
} from "../../src/commander/index.js";
import { startMosquitto } from "../support/mosquitto.js";
import { makeSession, tempDir } from "../client/helpers.js";

interface Params {
  vehicle: string;
}
interface Cmd {
  id: string;
  vehicle: string;
  action: string;
}
interface Result {
  resultId: string;
  commandId: string;
  ok: boolean;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

const reply: ReplyBinding<Params, Result> = {
  filter: "test/+/cmd/result",
  topic: (p) => `test/${p.vehicle}/cmd/result`,
  decode: (b) => dec<Result>(b),
  correlationOf: (r) => r.commandId,
};

/** A request/reply operation over JSON (the generated code binds proto codecs the same way). */
const op: CommandOperation<Params, Cmd, Result> & { reply: ReplyBinding<Params, Result> } = {
  id: "sendCmd",
  topic: (p) => `test/${p.vehicle}/cmd`,
  encode: enc,
  prepare: (m, p, fill) => {
    const message = { ...m, id: m.id || fill.newId(), vehicle: p.vehicle };
    return { message, correlationId: message.id };
  },
  delivery: { qos: 1 },
  reply,
};

describe("CommandPublisher against Mosquitto: request → vehicle handler → correlated reply", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const broker = await startMosquitto();
    cleanups.push(() => broker.cleanup());
    const transport = await MqttCommandTransport.connect({
      url: broker.url,
      clientId: `cloud-${randomUUID()}`,
      timeoutMs: 3000,
    });
    const cloud = new CommandPublisher({ transport });
    cleanups.push(() => cloud.close());
    return { broker, cloud };
  }

  /** A vehicle (the runtime session) that answers each command on its reply topic. */
  async function vehicle(url: string, id: string, answer: (c: Cmd) => boolean) {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = makeSession(url, dir.path("q.db"), { clientId: id });
    cleanups.push(t.close);
    await t.session.subscribe(`test/${id}/cmd`, ({ payload }) => {
      const c = dec<Cmd>(payload);
      void t.session.publish(
        `test/${id}/cmd/result`,
        enc({ resultId: randomUUID(), commandId: c.id, ok: answer(c) }),
        { messageId: randomUUID(), qos: 1 },
      );
    });
    t.session.start();
    await t.session.whenReady(5000);
    return t;
  }

  it("resolves each concurrent request with the reply that carries its own correlation id", async () => {
    const { broker, cloud } = await setup();
    await vehicle(broker.url, "car-1", (c) => c.action === "lock");
    const [a, b] = await Promise.all([
      cloud.request(
        op,
        { vehicle: "car-1" },
        { id: "", vehicle: "", action: "lock" },
        { timeoutMs: 5000 },
      ),
      cloud.request(
        op,
        { vehicle: "car-1" },
        { id: "", vehicle: "", action: "open" },
        { timeoutMs: 5000 },
      ),
    ]);
    expect(a.ok).toBe(true);
    expect(b.ok).toBe(false);
    expect(a.commandId).not.toBe(b.commandId);
  });

  it("rejects with a typed RequestTimeoutError when the vehicle is offline", async () => {
    const { cloud } = await setup();
    const started = Date.now();
    const err = await cloud
      .request(
        op,
        { vehicle: "car-offline" },
        { id: "cmd-1", vehicle: "", action: "lock" },
        { timeoutMs: 300 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as RequestTimeoutError).correlationId).toBe("cmd-1");
    expect((err as RequestTimeoutError).timeoutMs).toBe(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("a reply for another request is not taken as this one's", async () => {
    const { broker, cloud } = await setup();
    // A vehicle that answers with a wrong correlation id.
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = makeSession(broker.url, dir.path("q.db"), { clientId: "car-2" });
    cleanups.push(t.close);
    await t.session.subscribe("test/car-2/cmd", () => {
      void t.session.publish(
        "test/car-2/cmd/result",
        enc({ resultId: "r", commandId: "other", ok: true }),
        {
          messageId: randomUUID(),
        },
      );
    });
    t.session.start();
    await t.session.whenReady(5000);
    const err = await cloud
      .request(
        op,
        { vehicle: "car-2" },
        { id: "mine", vehicle: "", action: "x" },
        { timeoutMs: 500 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(cloud.unmatchedReplies).toBe(1);
  });
});

describe("IotDataCommandTransport: the AWS IoT data plane Publish call", () => {
  it("maps QoS, retain, expiry, correlation data and response topic onto PublishCommand; cannot subscribe", async () => {
    const sent: unknown[] = [];
    const transport = new IotDataCommandTransport({
      send: async (command) => void sent.push(command.input),
    });
    const cloud = new CommandPublisher({ transport, newId: () => "id-1" });
    await cloud.publish(
      { ...op, delivery: { qos: 1, messageExpiryS: 60 } },
      { vehicle: "car-9" },
      {
        id: "",
        vehicle: "",
        action: "lock",
      },
    );
    expect(sent).toEqual([
      {
        topic: "test/car-9/cmd",
        payload: enc({ id: "id-1", vehicle: "car-9", action: "lock" }),
        qos: 1,
        retain: false,
        messageExpiry: 60,
      },
    ]);
    await expect(
      cloud.request(
        op,
        { vehicle: "car-9" },
        { id: "", vehicle: "", action: "x" },
        { timeoutMs: 100 },
      ),
    ).rejects.toBeInstanceOf(ReceiveUnsupportedError);
  });
});
