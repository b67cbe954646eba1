import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { parseDeadLetterEntry, serializeDeadLetterEntry } from "./dlq-entry.js";
import { dlqKey } from "./dlq-key.js";
import type { DeadLetterEntry, DeadLetterQueue } from "./ports.js";
import { callDownstream, type RetryOptions } from "./retry.js";

/** Options of S3DeadLetterQueue. */
export interface S3DeadLetterQueueOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly retry?: RetryOptions;
  /** Keys per ListObjectsV2 page (S3's maximum and default: 1000). */
  readonly listPageSize?: number;
}

/**
 * The dead-letter queue as JSON objects in S3 under `dlqKey(entry)`; retention is a bucket
 * lifecycle rule, not code.
 */
export class S3DeadLetterQueue implements DeadLetterQueue {
  constructor(private readonly options: S3DeadLetterQueueOptions) {}

  /**
   * @inheritdoc — under a key of its own (nonce) and with `If-None-Match: *`, so S3 refuses
   * to replace an existing object; a refused write is retried under a fresh key.
   */
  async put(entry: DeadLetterEntry): Promise<string> {
    for (;;) {
      const key = dlqKey(entry);
      const stored = await callDownstream(
        "s3",
        async () => {
          try {
            await this.options.client.send(
              new PutObjectCommand({
                Bucket: this.options.bucket,
                Key: key,
                Body: serializeDeadLetterEntry(entry),
                ContentType: "application/json",
                IfNoneMatch: "*",
              }),
            );
            return true;
          } catch (error) {
            const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
            if (e.name === "PreconditionFailed" || e.$metadata?.httpStatusCode === 412)
              return false;
            throw error;
          }
        },
        this.options.retry,
      );
      if (stored) return key;
    }
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await callDownstream(
        "s3",
        () =>
          this.options.client.send(
            new ListObjectsV2Command({
              Bucket: this.options.bucket,
              Prefix: prefix,
              ...(this.options.listPageSize ? { MaxKeys: this.options.listPageSize } : {}),
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        this.options.retry,
      );
      for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** @inheritdoc */
  async get(key: string): Promise<DeadLetterEntry | undefined> {
    const text = await callDownstream(
      "s3",
      async () => {
        try {
          const out = await this.options.client.send(
            new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
          );
          return out.Body ? await out.Body.transformToString("utf8") : undefined;
        } catch (error) {
          if ((error as { name?: string }).name === "NoSuchKey") return undefined;
          throw error;
        }
      },
      this.options.retry,
    );
    return text === undefined ? undefined : parseDeadLetterEntry(text);
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await callDownstream(
      "s3",
      () =>
        this.options.client.send(
          new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }),
        ),
      this.options.retry,
    );
  }
}
