import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from "@aws-sdk/lib-dynamodb";
import type { BatchPutResult, RecordStore, StoredRecord, UnprocessedRecord } from "./ports.js";
import {
  backoffDelay,
  callDownstream,
  classifyAwsError,
  isRetryableAwsError,
  realSleep,
  toDownstreamError,
  withRetry,
  type RetryOptions,
} from "./retry.js";

/** BatchWriteItem accepts at most 25 put/delete requests per call. */
export const DYNAMODB_BATCH_WRITE_LIMIT = 25;

/** Options of DynamoDbRecordStore. */
export interface DynamoDbRecordStoreOptions {
  /** Build it with `maxAttempts: 1` so `retry` is the only retry layer. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Partition key attribute holding the record key (`vehicleId/messageId`); default "pk". */
  readonly partitionKey?: string;
  /**
   * Retry policy, used both for retryable errors of a call and for re-sending
   * `UnprocessedItems` (partial writes). No retries when omitted.
   */
  readonly retry?: RetryOptions;
  /** Name of the downstream (its participant id) in errors; default "key-value-store". */
  readonly downstream?: string;
}

type WriteRequest = { PutRequest?: { Item?: Record<string, unknown> } };

/**
 * Records in DynamoDB, keyed by `vehicleId/messageId`: PutItem overwrites, so a replayed
 * message rewrites the same item (idempotent). `batchPut` uses BatchWriteItem in chunks of 25,
 * re-sends UnprocessedItems on the retry schedule (the SDK does not) and returns what remains.
 */
export class DynamoDbRecordStore implements RecordStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly pk: string;
  private readonly name: string;

  constructor(private readonly options: DynamoDbRecordStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.pk = options.partitionKey ?? "pk";
    this.name = options.downstream ?? "key-value-store";
  }

  /** @inheritdoc */
  async put(record: StoredRecord): Promise<void> {
    await callDownstream(
      this.name,
      () =>
        this.doc.send(
          new PutCommand({ TableName: this.options.tableName, Item: this.item(record) }),
        ),
      this.options.retry,
    );
  }

  /** @inheritdoc */
  async get(id: string): Promise<StoredRecord | undefined> {
    const out = await callDownstream(
      this.name,
      () =>
        this.doc.send(
          new GetCommand({
            TableName: this.options.tableName,
            Key: { [this.pk]: id },
            ConsistentRead: true,
          }),
        ),
      this.options.retry,
    );
    if (!out.Item) return undefined;
    const { [this.pk]: _key, ...data } = out.Item;
    return { id, data };
  }

  /** @inheritdoc */
  async batchPut(records: readonly StoredRecord[]): Promise<BatchPutResult> {
    // BatchWriteItem rejects a request holding the same key twice; last write wins, as with put.
    const byId = new Map<string, StoredRecord>();
    for (const record of records) byId.set(record.id, record);
    const unique = [...byId.values()];
    const unprocessed: UnprocessedRecord[] = [];
    for (let i = 0; i < unique.length; i += DYNAMODB_BATCH_WRITE_LIMIT) {
      const chunk = unique.slice(i, i + DYNAMODB_BATCH_WRITE_LIMIT);
      unprocessed.push(...(await this.writeChunk(chunk, byId)));
    }
    return { written: unique.length - unprocessed.length, unprocessed };
  }

  private async writeChunk(
    chunk: readonly StoredRecord[],
    byId: ReadonlyMap<string, StoredRecord>,
  ): Promise<UnprocessedRecord[]> {
    const table = this.options.tableName;
    const retry = this.options.retry;
    const attempts = retry?.policy.attempts ?? 0;
    let pending: WriteRequest[] = chunk.map((r) => ({ PutRequest: { Item: this.item(r) } }));
    let reason = "unprocessed-after-retries";
    for (let retryIndex = 0; ; retryIndex++) {
      let left: WriteRequest[];
      try {
        const send = () =>
          this.doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
        const out = retry ? await withRetry(send, retry) : await send();
        left = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      } catch (error) {
        // Retries of a throttled/unavailable call are used up: report the chunk, don't throw,
        // so the handler can dead-letter exactly these records.
        if (!isRetryableAwsError(error)) throw toDownstreamError(this.name, error);
        reason = `${classifyAwsError(error)}: ${(error as Error).message || (error as Error).name}`;
        left = pending;
        return this.toUnprocessed(left, byId, reason);
      }
      if (left.length === 0) return [];
      pending = left;
      if (retryIndex >= attempts || !retry) break;
      await (retry.sleep ?? realSleep)(
        backoffDelay(retry.policy, retryIndex, retry.random ?? Math.random),
      );
    }
    return this.toUnprocessed(pending, byId, reason);
  }

  private toUnprocessed(
    requests: readonly WriteRequest[],
    byId: ReadonlyMap<string, StoredRecord>,
    reason: string,
  ): UnprocessedRecord[] {
    return requests.map((request) => {
      const id = String(request.PutRequest?.Item?.[this.pk]);
      const record = byId.get(id) ?? { id, data: {} };
      return { record, reason };
    });
  }

  private item(record: StoredRecord): Record<string, unknown> {
    return { ...record.data, [this.pk]: record.id };
  }
}
