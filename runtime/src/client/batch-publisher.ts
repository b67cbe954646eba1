import type { BatchPolicy } from "../policy.js";
import {
  buildBatches,
  decodeBatch,
  encodeBatch,
  splitInHalves,
  type BatchCodec,
  type EncodedBatch,
} from "./batch.js";
import { PacketTooLargeError } from "./errors.js";
import type { ClientEvents, MessageRejectedEvent } from "./events.js";
import type { PublishOptions, PublishResult } from "./session.js";

/** The part of `VehicleSession` the batch path needs. */
export interface BatchSessionLike {
  readonly events: ClientEvents;
  publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<PublishResult>;
}

export interface BatchPublisherOptions {
  readonly session: BatchSessionLike;
  /** The full batch topic of this vehicle. */
  readonly topic: string;
  readonly alias?: number;
  readonly policy: BatchPolicy;
  readonly codec: BatchCodec;
  /** A new batch id (UUID) per published batch, halves included. */
  readonly newMessageId: () => string;
  /** Errors of the background re-split of a queued batch the broker refused (default: ignore). */
  readonly onError?: (err: unknown) => void;
  /** The operation's MQTT binding (QoS, retain, expiry) and offline behaviour. */
  readonly delivery?: Pick<PublishOptions, "qos" | "retain" | "messageExpiryS" | "offline">;
}

/** One published batch (or half). */
export interface PublishedBatch {
  readonly messageId: string;
  readonly records: number;
  readonly compressedBytes: number;
  readonly result: PublishResult;
}

/**
 * Publishes record batches (Phase 2B): builds them within the policy limits, and when the
 * broker still answers 0x95 splits the batch in halves and sends each half, down to
 * single records. A batch refused with 0x95 while being flushed from the queue is decoded
 * and re-sent in halves too.
 */
export class BatchPublisher {
  private readonly onRejected = (e: MessageRejectedEvent): void => {
    if (e.topic !== this.options.topic || !(e.error instanceof PacketTooLargeError)) return;
    void this.resplitQueued(e.payload).catch((err) => this.options.onError?.(err));
  };

  constructor(private readonly options: BatchPublisherOptions) {
    options.session.events.on("messageRejected", this.onRejected);
  }

  /** Publishes `records` as one or more batches; resolves with what was sent or queued. */
  async publish(records: readonly Uint8Array[]): Promise<PublishedBatch[]> {
    const { policy, codec, session } = this.options;
    const batches = await buildBatches(records, policy, codec, (e) =>
      session.events.emit("batchSplit", e),
    );
    const out: PublishedBatch[] = [];
    for (const b of batches) out.push(...(await this.send(b)));
    return out;
  }

  /** Stops listening for refused queued batches. */
  dispose(): void {
    this.options.session.events.off("messageRejected", this.onRejected);
  }

  private async send(batch: EncodedBatch): Promise<PublishedBatch[]> {
    const { session, topic, alias, newMessageId } = this.options;
    const messageId = newMessageId();
    try {
      const result = await session.publish(topic, batch.compressed, {
        messageId,
        ...this.options.delivery,
        ...(alias !== undefined ? { alias } : {}),
      });
      return [
        {
          messageId,
          records: batch.records.length,
          compressedBytes: batch.compressed.byteLength,
          result,
        },
      ];
    } catch (err) {
      if (!(err instanceof PacketTooLargeError) || batch.records.length < 2) throw err;
      return this.sendHalves(batch.records);
    }
  }

  private async sendHalves(records: readonly Uint8Array[]): Promise<PublishedBatch[]> {
    const [a, b] = splitInHalves(records);
    this.options.session.events.emit("batchSplit", {
      reason: "broker-packet-too-large",
      records: records.length,
      into: [a.length, b.length],
    });
    const out: PublishedBatch[] = [];
    for (const half of [a, b])
      out.push(
        ...(await this.send(await encodeBatch(half, this.options.policy, this.options.codec))),
      );
    return out;
  }

  private async resplitQueued(payload: Uint8Array): Promise<void> {
    const { records } = await decodeBatch(payload, this.options.codec);
    if (records.length >= 2) await this.sendHalves(records);
    else
      this.options.onError?.(
        new PacketTooLargeError(payload.byteLength, 0, "broker", this.options.topic),
      );
  }
}
