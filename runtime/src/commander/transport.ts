/** How the cloud side reaches vehicles: publish (always) and subscribe (for request/reply). */

/** Delivery of one cloud → vehicle message, from the operation's MQTT binding. */
export interface TransportPublishOptions {
  readonly qos: 0 | 1 | 2;
  readonly retain?: boolean;
  /** MQTT 5 message expiry interval, seconds. */
  readonly messageExpiryS?: number;
  /** MQTT 5 correlation data (the request's correlation id, UTF-8). */
  readonly correlationData?: Uint8Array;
  /** MQTT 5 response topic (where the vehicle replies). */
  readonly responseTopic?: string;
}

/** A message that arrived on a subscribed filter. */
export interface TransportMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/** A cloud-side connection to the broker. */
export interface CommandTransport {
  /** Publishes one message; resolves when the broker has it (PUBACK for QoS 1, written for QoS 0). */
  publish(topic: string, payload: Uint8Array, options: TransportPublishOptions): Promise<void>;
  /**
   * Subscribes to `filter` (replies); resolves once the subscription is in place. Transports
   * that cannot receive (the IoT data plane HTTP API) reject with `ReceiveUnsupportedError`.
   */
  subscribe(filter: string, onMessage: (message: TransportMessage) => void): Promise<void>;
  close(): Promise<void>;
}

/** The transport cannot receive messages (request/reply needs one that can). */
export class ReceiveUnsupportedError extends Error {
  constructor(transport: string) {
    super(
      `${transport} cannot subscribe: request/reply needs a transport that receives (e.g. MqttCommandTransport)`,
    );
    this.name = "ReceiveUnsupportedError";
  }
}
