import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalQueuePolicy, RetryPolicy } from "../../src/policy.js";
import {
  ClientEvents,
  InMemoryClientMetrics,
  PersistentQueue,
  VehicleSession,
  type BatchCodec,
  type VehicleSessionOptions,
} from "../../src/client/index.js";

/** The seed's vehicle id and topics (test data only). */
export const VIN = "VIN-1HGBH41JXMN109186";
export const OTHER_VIN = "VIN-2T1BURHE0JC000001";
export const telemetryTopic = (vin = VIN): string => `v2c/v1/us-east-1/${vin}/telemetry/vehicle`;
export const batchTopic = (vin = VIN): string => `v2c/v1/us-east-1/${vin}/telemetry/batch`;
export const commandTopic = (vin = VIN): string => `v2c/v1/us-east-1/${vin}/command`;

/** Millisecond-scale versions of the seed's schedules (2,4,8,16,32 s and 5,10,20 s). */
export const FAST_RECONNECT: RetryPolicy = {
  attempts: 5,
  delaysMs: [20, 40, 80, 160, 320],
  jitter: "none",
};
export const FAST_PUBLISH_RETRY: RetryPolicy = {
  attempts: 3,
  delaysMs: [25, 50, 100],
  jitter: "none",
};
/** The seed's names of the session's metric roles (test data: generated clients take them from the spec). */
export const TEST_METRIC_NAMES = {
  "connection-success": "mqtt.connection.success",
  "connection-failure": "mqtt.connection.failure",
  disconnect: "mqtt.disconnect",
  "publish-acked": "mqtt.publish.acked",
  "publish-resent": "mqtt.publish.resent",
  "publish-queued": "mqtt.publish.queued",
  "publish-rejected": "mqtt.publish.rejected",
  "queue-dropped": "mqtt.queue.dropped",
} as const;
export const QUEUE_POLICY: LocalQueuePolicy = { maxMessages: 1000, overflow: "drop-oldest" };

/** A temp dir for queue files, removed by `cleanup`. */
export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "v2c-client-"));
  return {
    dir,
    path: (n) => join(dir, n),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TestSession {
  session: VehicleSession;
  queue: PersistentQueue;
  events: ClientEvents;
  metrics: InMemoryClientMetrics;
  close: () => Promise<void>;
}

/** A session with test-speed policies; `overrides` replace any option. */
export function makeSession(
  url: string,
  queuePath: string,
  overrides: Partial<VehicleSessionOptions> = {},
): TestSession {
  const events = overrides.events ?? new ClientEvents();
  const metrics = new InMemoryClientMetrics();
  const queue =
    overrides.queue ?? PersistentQueue.open(queuePath, { policy: QUEUE_POLICY, events });
  const session = new VehicleSession({
    url,
    clientId: VIN,
    keepaliveSeconds: 60,
    sessionExpirySeconds: 3600,
    maxPacketBytes: 128 * 1024,
    timeouts: { connectMs: 3000, pubackMs: 300, subscribeMs: 2000, endMs: 500 },
    reconnect: FAST_RECONNECT,
    publishRetry: FAST_PUBLISH_RETRY,
    quotaWindowMs: 300,
    queue,
    events,
    metrics,
    metricNames: TEST_METRIC_NAMES,
    ...overrides,
  });
  return {
    session,
    queue,
    events,
    metrics,
    close: async () => {
      await session.close();
      queue.close();
    },
  };
}

/** A minimal envelope for tests: [u32 checksum][u32 count] then [u32 length][bytes] per record. */
export const testCodec: BatchCodec = {
  encode(records, checksum) {
    const size = 8 + records.reduce((n, r) => n + 4 + r.byteLength, 0);
    const buf = Buffer.alloc(size);
    buf.writeUInt32BE(checksum >>> 0, 0);
    buf.writeUInt32BE(records.length, 4);
    let off = 8;
    for (const r of records) {
      buf.writeUInt32BE(r.byteLength, off);
      buf.set(r, off + 4);
      off += 4 + r.byteLength;
    }
    return buf;
  },
  decode(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const checksum = buf.readUInt32BE(0);
    const count = buf.readUInt32BE(4);
    const records: Uint8Array[] = [];
    let off = 8;
    for (let i = 0; i < count; i++) {
      const len = buf.readUInt32BE(off);
      records.push(new Uint8Array(buf.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    return { records, checksum };
  },
};

/** Polls until `predicate` holds; rejects after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs: number,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A JSON payload carrying its message id, so subscribers can count ids. */
export function payloadFor(id: string, extra = ""): Buffer {
  return Buffer.from(JSON.stringify({ id, extra }));
}
