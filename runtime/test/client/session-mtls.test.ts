import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialError,
  NotAuthorizedError,
  type ConnectedEvent,
  type CredentialError as CredentialErrorT,
  type SecurityEvent,
} from "../../src/client/index.js";
import { makeTestPki, type Identity, type TestPki } from "../support/certs.js";
import { startMosquitto, type MosquittoBroker } from "../support/mosquitto.js";
import {
  OTHER_VIN,
  VIN,
  commandTopic,
  makeSession,
  payloadFor,
  telemetryTopic,
  tempDir,
  waitUntil,
} from "./helpers.js";

let pki: TestPki;
let broker: MosquittoBroker;
let valid: Identity;
let expired: Identity;
let revoked: Identity;
let observer: MqttClient;
const tmp = tempDir();

beforeAll(async () => {
  pki = makeTestPki();
  valid = pki.client(VIN);
  expired = pki.client(VIN, { expired: true });
  revoked = pki.client(VIN);
  pki.revoke(revoked);
  broker = await startMosquitto({
    tls: {
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      crlPath: pki.crlPath,
    },
    maxTopicAlias: 10,
  });
  // The independent observer: anonymous on the plain listener, sees everything.
  observer = await connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: "observer",
    reconnectPeriod: 0,
  });
  await observer.subscribeAsync("v2c/#", { qos: 1 });
});

afterAll(async () => {
  await observer?.endAsync(true);
  await broker?.cleanup();
  pki?.cleanup();
  tmp.cleanup();
});

function tlsSession(id: Identity | undefined, name: string) {
  return makeSession(broker.tlsUrl!, tmp.path(`${name}.db`), {
    tls: { ca: pki.ca, ...(id ? { cert: id.cert, key: id.key } : {}) },
  });
}

describe("VehicleSession over mTLS against Mosquitto", () => {
  it("connects with a valid client certificate; QoS 1 delivery with the topic alias reaches an independent subscriber under the full topic", async () => {
    const t = tlsSession(valid, "valid");
    const received: Array<{ topic: string; id: string }> = [];
    const onMessage = (topic: string, payload: Buffer): void => {
      received.push({ topic, id: (JSON.parse(payload.toString()) as { id: string }).id });
    };
    observer.on("message", onMessage);
    try {
      const connected = t.events.next("connected", 5000);
      t.session.start();
      await t.session.whenReady(5000);
      const [info] = (await connected) as [ConnectedEvent];
      expect(info.topicAliasMaximum).toBe(10);
      for (let i = 0; i < 3; i++) {
        // The 2nd and 3rd PUBLISH carry the alias only; a wrong alias would get us disconnected.
        const r = await t.session.publish(telemetryTopic(), payloadFor(`tls-${i}`), {
          messageId: `tls-${i}`,
          alias: 1,
        });
        expect(r.status).toBe("acked");
      }
      await waitUntil(() => received.length >= 3, 3000, "observer got 3 messages");
      expect(received).toEqual([0, 1, 2].map((i) => ({ topic: telemetryTopic(), id: `tls-${i}` })));
      expect(t.metrics.get("mqtt.connection.success")).toBe(1);
      expect(t.metrics.total("mqtt.disconnect")).toBe(0);
    } finally {
      observer.off("message", onMessage);
      await t.close();
    }
  });

  it("receives commands on its own command topic (QoS 1 subscription)", async () => {
    const t = tlsSession(valid, "cmd");
    try {
      t.session.start();
      await t.session.whenReady(5000);
      const got: string[] = [];
      await t.session.subscribe(commandTopic(), (m) => got.push(m.payload.toString()));
      await observer.publishAsync(commandTopic(), "unlock", { qos: 1 });
      await waitUntil(() => got.length === 1, 3000, "command received");
      expect(got).toEqual(["unlock"]);
      // Another vehicle's commands are not readable. Mosquitto 2.0.11 grants the SUBSCRIBE
      // (it checks read access per delivered message), so prove nothing is delivered.
      const foreign: string[] = [];
      await t.session.subscribe(commandTopic(OTHER_VIN), (m) => foreign.push(m.payload.toString()));
      await observer.publishAsync(commandTopic(OTHER_VIN), "foreign-unlock", { qos: 1 });
      await observer.publishAsync(commandTopic(), "lock", { qos: 1 });
      await waitUntil(() => got.length === 2, 3000, "second own command received");
      expect(got).toEqual(["unlock", "lock"]);
      expect(foreign).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("FM-05 unauthorized topic: Mosquitto's ACL answers PUBACK 0x87 → NotAuthorizedError + securityEvent, no retry", async () => {
    const t = tlsSession(valid, "acl");
    const security: SecurityEvent[] = [];
    t.events.on("securityEvent", (e) => security.push(e));
    try {
      t.session.start();
      await t.session.whenReady(5000);
      const err = await t.session
        .publish(telemetryTopic(OTHER_VIN), payloadFor("evil"), { messageId: "evil-1", alias: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotAuthorizedError);
      expect((err as NotAuthorizedError).reasonCode).toBe(0x87);
      expect(security).toEqual([
        {
          kind: "not-authorized",
          operation: "publish",
          topic: telemetryTopic(OTHER_VIN),
          messageId: "evil-1",
          reasonCode: 0x87,
        },
      ]);
      expect(t.metrics.get("mqtt.publish.resent")).toBe(0);
      expect(t.queue.size()).toBe(0);
      // The connection survives and the own topic still works.
      const ok = await t.session.publish(telemetryTopic(), payloadFor("own"), {
        messageId: "own-1",
        alias: 1,
      });
      expect(ok.status).toBe("acked");
    } finally {
      await t.close();
    }
  });

  async function expectCredentialStop(
    id: Identity | undefined,
    name: string,
  ): Promise<CredentialErrorT> {
    const t = tlsSession(id, name);
    try {
      const problem = t.events.next("credentialProblem", 5000);
      t.session.start();
      const ready = await t.session.whenReady(5000).catch((e: unknown) => e);
      expect(ready).toBeInstanceOf(CredentialError);
      const [err] = await problem;
      // No retry loop: wait longer than the whole reconnect schedule and count attempts.
      await new Promise((r) => setTimeout(r, 400));
      expect(t.metrics.total("mqtt.connection.failure")).toBe(1);
      expect(t.metrics.get("mqtt.connection.success")).toBe(0);
      return err;
    } finally {
      await t.close();
    }
  }

  it("refuses a vehicle without a client certificate → credentialProblem, no retry loop", async () => {
    const err = await expectCredentialStop(undefined, "nocert");
    expect(err.kind).toBe("bad-certificate");
  });

  it("FM-01 certificate expired: the broker refuses the handshake → credentialProblem (expired), no retry loop", async () => {
    const err = await expectCredentialStop(expired, "expired");
    expect(err.kind).toBe("expired");
    expect(err.tlsCode).toBe("ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED");
  });

  it("FM-16 certificate revoked: the broker's CRL refuses the handshake → credentialProblem (revoked), no retry loop", async () => {
    const err = await expectCredentialStop(revoked, "revoked");
    expect(err.kind).toBe("revoked");
  });
});
