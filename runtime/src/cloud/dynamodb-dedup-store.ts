import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  messageKeyId,
  type ClaimOptions,
  type ClaimResult,
  type DedupStore,
  type MessageKey,
} from "./ports.js";
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
  /** Name of the downstream in errors; default "dedup". */
  readonly downstream?: string;
}

/** TTL attribute name (epoch seconds), to enable as the table's TimeToLive attribute. */
export const DEDUP_TTL_ATTRIBUTE = "expires_at";

const CLAIMABLE =
  "attribute_not_exists(#pk)" +
  " OR (#st = :done AND window_end_ms < :now)" +
  " OR (#st = :prog AND lease_until_ms < :now)" +
  " OR #st = :failed";

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === "ConditionalCheckFailedException"
  );
}

// Sinks an earlier attempt wrote (a failed or abandoned claim); none once a message was done.
function doneOf(item: Record<string, AttributeValue> | undefined): string[] {
  if (!item || item.st?.S === "done" || item.st === undefined) return [];
  return (item.done_sinks?.L ?? []).flatMap((v) => (v.S !== undefined ? [v.S] : []));
}

/**
 * The dedup ledger in DynamoDB (see DedupStore), one item per `vehicleId/messageId`:
 * `st` = in-progress | done | failed, `lease_until_ms`, `window_end_ms`, `done_sinks`.
 * A claim is one conditional PutItem (`ReturnValues: ALL_OLD` hands back the sinks a failed
 * attempt already wrote); when the condition fails, a consistent read tells a duplicate from
 * a live claim. The condition, not TTL, decides: DynamoDB deletes expired items up to days
 * late; `expires_at` (seconds) only lets TTL clean up.
 *
 * Why not Powertools Idempotency: it makes a whole function call idempotent — it hashes the
 * selected payload into its own key, stores INPROGRESS/COMPLETED records with the result, and
 * replays the stored result. Here the batch path needs a per-message claim inside one
 * invocation (25–50 claims) with per-sink progress, keyed by the ids operators and DLQ
 * replays know, and the same port must run against SQLite locally.
 */
export class DynamoDbDedupStore implements DedupStore {
  private readonly pk: string;
  private readonly name: string;

  constructor(private readonly options: DynamoDbDedupStoreOptions) {
    this.pk = options.partitionKey ?? "pk";
    this.name = options.downstream ?? "dedup";
  }

  /** @inheritdoc */
  async claim(key: MessageKey, nowMs: number, options: ClaimOptions): Promise<ClaimResult> {
    const id = messageKeyId(key);
    const leaseUntil = nowMs + options.leaseMs;
    return callDownstream(
      this.name,
      async (): Promise<ClaimResult> => {
        try {
          const out = await this.options.client.send(
            new PutItemCommand({
              TableName: this.options.tableName,
              Item: {
                [this.pk]: { S: id },
                st: { S: "in-progress" },
                claimed_at_ms: { N: String(nowMs) },
                lease_until_ms: { N: String(leaseUntil) },
                window_end_ms: { N: String(leaseUntil) },
                [DEDUP_TTL_ATTRIBUTE]: {
                  N: String(
                    Math.ceil((nowMs + Math.max(options.windowMs, options.leaseMs)) / 1000),
                  ),
                },
              },
              ConditionExpression: CLAIMABLE,
              ExpressionAttributeNames: { "#pk": this.pk, "#st": "st" },
              ExpressionAttributeValues: {
                ":now": { N: String(nowMs) },
                ":done": { S: "done" },
                ":prog": { S: "in-progress" },
                ":failed": { S: "failed" },
              },
              ReturnValues: "ALL_OLD",
            }),
          );
          const done = doneOf(out.Attributes);
          if (done.length > 0) await this.putState(id, "in-progress", nowMs, leaseUntil, done);
          return { status: "claimed", done };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          const current = await this.options.client.send(
            new GetItemCommand({
              TableName: this.options.tableName,
              Key: { [this.pk]: { S: id } },
              ConsistentRead: true,
            }),
          );
          const st = current.Item?.st?.S;
          // A done claim inside its window; anything else is someone's live claim.
          return st === "done" ? { status: "duplicate" } : { status: "in-progress" };
        }
      },
      this.options.retry,
    );
  }

  /** @inheritdoc */
  async complete(key: MessageKey, nowMs: number, windowMs: number): Promise<void> {
    await callDownstream(
      this.name,
      () => this.putState(messageKeyId(key), "done", nowMs, nowMs + windowMs, []),
      this.options.retry,
    );
  }

  /** @inheritdoc */
  async release(key: MessageKey, done: readonly string[]): Promise<void> {
    const id = messageKeyId(key);
    await callDownstream(
      this.name,
      async () => {
        if (done.length === 0) {
          await this.options.client.send(
            new DeleteItemCommand({
              TableName: this.options.tableName,
              Key: { [this.pk]: { S: id } },
            }),
          );
        } else await this.putState(id, "failed", Date.now(), 0, done);
      },
      this.options.retry,
    );
  }

  private async putState(
    id: string,
    state: "in-progress" | "done" | "failed",
    nowMs: number,
    untilMs: number,
    done: readonly string[],
  ): Promise<void> {
    // TTL cleanup: a day after the window at the latest (a failed item waits for its replay).
    const ttlMs = Math.max(untilMs, nowMs) + 86_400_000;
    await this.options.client.send(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          [this.pk]: { S: id },
          st: { S: state },
          claimed_at_ms: { N: String(nowMs) },
          lease_until_ms: { N: String(state === "in-progress" ? untilMs : 0) },
          window_end_ms: { N: String(untilMs) },
          [DEDUP_TTL_ATTRIBUTE]: { N: String(Math.ceil(ttlMs / 1000)) },
          ...(done.length > 0 ? { done_sinks: { L: done.map((s) => ({ S: s })) } } : {}),
        },
      }),
    );
  }
}
