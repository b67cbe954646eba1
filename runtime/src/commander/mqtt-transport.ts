import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import type { CommandTransport, TransportMessage, TransportPublishOptions } from "./transport.js";
import { topicMatches } from "../client/topic-filter.js";

/** Options of the broker transport (local Mosquitto, or IoT Core over mTLS with a cloud identity). */
export interface MqttCommandTransportOptions {
  readonly url: string;
  readonly clientId: string;
  /** TLS material and other MQTT.js options (protocol is always MQTT 5). */
  readonly mqtt?: Omit<IClientOptions, "protocolVersion" | "clientId">;
  /** Bound on connect, publish (PUBACK) and subscribe (SUBACK), ms. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function bounded<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Publishes and subscribes through an MQTT 5 broker with MQTT.js. */
export class MqttCommandTransport implements CommandTransport {
  private readonly handlers = new Map<string, (message: TransportMessage) => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly timeoutMs: number,
  ) {
    client.on("message", (topic, payload) => {
      for (const [filter, handler] of this.handlers)
        if (topicMatches(filter, topic)) handler({ topic, payload: new Uint8Array(payload) });
    });
  }

  /** Connects (bounded by `timeoutMs`). */
  static async connect(options: MqttCommandTransportOptions): Promise<MqttCommandTransport> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const client = await bounded(
      connectAsync(options.url, {
        ...options.mqtt,
        protocolVersion: 5,
        clientId: options.clientId,
        connectTimeout: timeoutMs,
      }),
      timeoutMs,
      "connect",
    );
    return new MqttCommandTransport(client, timeoutMs);
  }

  async publish(topic: string, payload: Uint8Array, o: TransportPublishOptions): Promise<void> {
    const properties = {
      ...(o.messageExpiryS !== undefined ? { messageExpiryInterval: o.messageExpiryS } : {}),
      ...(o.correlationData ? { correlationData: Buffer.from(o.correlationData) } : {}),
      ...(o.responseTopic ? { responseTopic: o.responseTopic } : {}),
    };
    await bounded(
      this.client.publishAsync(topic, Buffer.from(payload), {
        qos: o.qos,
        retain: o.retain ?? false,
        properties,
      }),
      this.timeoutMs,
      `publish ${topic}`,
    );
  }

  async subscribe(filter: string, onMessage: (message: TransportMessage) => void): Promise<void> {
    this.handlers.set(filter, onMessage);
    const granted = await bounded(
      this.client.subscribeAsync(filter, { qos: 1 }),
      this.timeoutMs,
      `subscribe ${filter}`,
    );
    const code = granted[0]?.qos ?? 0;
    if (code >= 0x80)
      throw new Error(`subscribe ${filter} refused with reason 0x${code.toString(16)}`);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
