import { IoTDataPlaneClient, PublishCommand } from "@aws-sdk/client-iot-data-plane";
import {
  ReceiveUnsupportedError,
  type CommandTransport,
  type TransportPublishOptions,
} from "./transport.js";

/** The part of the IoT data plane client this transport calls (a real client, or a test double). */
export interface IotDataPublisher {
  send(command: PublishCommand): Promise<unknown>;
}

/**
 * Publishes through the AWS IoT Core data plane (`iot:Publish` over HTTPS, `Publish` API): no
 * connection to keep, the call's IAM role is the authority. It cannot receive: for
 * request/reply on AWS, receive the reply channel with an MQTT transport (a cloud identity on
 * IoT Core) or route it with an IoT rule.
 */
export class IotDataCommandTransport implements CommandTransport {
  constructor(private readonly client: IotDataPublisher = new IoTDataPlaneClient({})) {}

  async publish(topic: string, payload: Uint8Array, o: TransportPublishOptions): Promise<void> {
    if (o.qos === 2) throw new RangeError("AWS IoT Core does not support QoS 2");
    await this.client.send(
      new PublishCommand({
        topic,
        payload,
        qos: o.qos,
        retain: o.retain ?? false,
        ...(o.messageExpiryS !== undefined ? { messageExpiry: o.messageExpiryS } : {}),
        // The data plane takes correlation data base64-encoded.
        ...(o.correlationData
          ? { correlationData: Buffer.from(o.correlationData).toString("base64") }
          : {}),
        ...(o.responseTopic ? { responseTopic: o.responseTopic } : {}),
      }),
    );
  }

  subscribe(): Promise<void> {
    return Promise.reject(new ReceiveUnsupportedError("the IoT data plane transport"));
  }

  async close(): Promise<void> {}
}
