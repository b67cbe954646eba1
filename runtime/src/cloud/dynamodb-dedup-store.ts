import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { ClaimResult, DedupStore } from "./ports.js";
import { callDownstream, type RetryOptions } from "./retry.js";

/** Options of DynamoDbDedupStore. */
export interface DynamoDbDedupStoreOptions {
  /** Build it with `maxAttempts: 1` so `retry` is the only retry layer. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Partition key attribute (string); default "pk". */
  readonly partitionKey?: string;
  /** Retry policy for throttling/unavailability; none when omitted. */
  readonly retry?: RetryOptions;
}

/** TTL attribute name (epoch seconds), to enable as the table's TimeToLive attribute. */
export const DEDUP_TTL_ATTRIBUTE = "expires_at";

/**
 * Dedup claims in DynamoDB (FM-10): one conditional PutItem per message id that succeeds when
 * no claim exists or the existing one has expired (`attribute_not_exists(pk) OR
 * expires_at_ms < :now`); ConditionalCheckFailedException means duplicate.
 *
 * The condition, not TTL, decides: DynamoDB deletes expired items up to days late, so an
 * expired-but-present claim must be reclaimable. `expires_at` (seconds) only lets TTL clean up;
 * `expires_at_ms` gives the window millisecond precision.
 *
 * Why not Powertools Idempotency: it makes a whole function call idempotent — it hashes the
 * selected payload into its own key, stores INPROGRESS/COMPLETED records with the result, and
 * replays the stored result. Here the batch path needs a per-message "seen?" claim inside one
 * invocation (25–50 claims), with the message id itself as the key so operators and DLQ
 * replays can find it, and the same port must run against SQLite locally.
 */
export class DynamoDbDedupStore implements DedupStore {
  private readonly pk: string;

  constructor(private readonly options: DynamoDbDedupStoreOptions) {
    this.pk = options.partitionKey ?? "pk";
  }

  /** @inheritdoc */
  async claim(messageId: string, nowMs: number, windowMs: number): Promise<ClaimResult> {
    const expiresMs = nowMs + windowMs;
    return callDownstream(
      "dynamodb",
      async () => {
        try {
          await this.options.client.send(
            new PutItemCommand({
              TableName: this.options.tableName,
              Item: {
                [this.pk]: { S: messageId },
                claimed_at_ms: { N: String(nowMs) },
                expires_at_ms: { N: String(expiresMs) },
                [DEDUP_TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresMs / 1000)) },
              },
              ConditionExpression: "attribute_not_exists(#pk) OR expires_at_ms < :now",
              ExpressionAttributeNames: { "#pk": this.pk },
              ExpressionAttributeValues: { ":now": { N: String(nowMs) } },
            }),
          );
          return "new" as const;
        } catch (error) {
          if (
            error instanceof ConditionalCheckFailedException ||
            (error as { name?: string }).name === "ConditionalCheckFailedException"
          ) {
            return "duplicate" as const;
          }
          throw error;
        }
      },
      this.options.retry,
    );
  }

  /** @inheritdoc */
  async release(messageId: string): Promise<void> {
    await callDownstream(
      "dynamodb",
      () =>
        this.options.client.send(
          new DeleteItemCommand({
            TableName: this.options.tableName,
            Key: { [this.pk]: { S: messageId } },
          }),
        ),
      this.options.retry,
    );
  }
}
