/**
 * The failure-mode test kit: the generated handlers wired on real local peers (dynalite for
 * every key-value-store downstream and the dedup ledger, s3rver for the dead-letter bucket) and
 * a per-rig mocked time-series client per time-series-store downstream (no implementation of
 * its API runs locally), with the retry sleep recorded instead of waited and a settable clock.
 * Generic over the spec: downstreams are the participant ids of the generated
 * `downstreamPolicy`, operations those the generated harness hands in; this library never
 * imports generated code.
 */
import { compress } from "@mongodb-js/zstd";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TimestreamWriteClient, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import {
  DynamoDbDedupStore,
  DynamoDbRecordStore,
  MemoryMetricsSink,
  S3DeadLetterQueue,
  TimestreamSink,
  classifyAwsError,
  type RetryOptions,
} from "../../cloud/index.js";
import { CircuitBreakers } from "../breakers.js";
import type { InvocationContext, RuleEvent } from "../event.js";
import type { RuleEventHandler } from "../handlers.js";
import { HANDLER_METRIC_DIMENSIONS, type HandlerMetricNames } from "../metric-roles.js";

const [THROTTLED_DIMENSION] = HANDLER_METRIC_DIMENSIONS.throttled;
import type { InvocationSummary } from "../outcome.js";
import type { DownstreamPolicy } from "../policy.js";
import type { DownstreamPort, HandlerPorts } from "../ports.js";
import type { ReplayRequest, ReplaySummary } from "../replay.js";
import { startDynalite, type DynaliteHandle } from "../../../test/support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../../../test/support/s3rver.js";

/** A generated handler factory (`create<HandlerName>`). */
export type HandlerFactory = (ports: HandlerPorts, breakers: CircuitBreakers) => RuleEventHandler;

/** The generated replay factory. */
export type ReplayFactory = (
  ports: HandlerPorts,
  breakers: CircuitBreakers,
) => (request: ReplayRequest, context?: InvocationContext) => Promise<ReplaySummary>;

/** One handled operation of the spec, as the generated harness describes it. */
export interface OperationUnderTest {
  /** AsyncAPI operation id. */
  readonly operation: string;
  readonly kind: "record" | "batch";
  readonly factory: HandlerFactory;
  /** A topic of the operation's channel (parameter examples). */
  readonly topic: string;
  /** The vehicle id of that topic (the rule event's client id). */
  readonly vehicleId: string;
  /** Downstream participant ids the handler writes (`x-handler.writes`). */
  readonly writes: readonly string[];
  /** The dedup participant (`x-handler.dedup`), if any. */
  readonly dedup?: string;
  /** The dedup window (ms), when the handler dedups. */
  readonly dedupWindowMs?: number;
  /** The handler's timeout (ms): how long a claim of a live invocation is leased. */
  readonly leaseMs: number;
  /** Batch: whether the payload is zstd-compressed; the x-batch caps. */
  readonly zstd?: boolean;
  readonly maxCompressedBytes?: number;
  readonly maxDecompressedBytes?: number;
  /** A valid encoded record (the message, or the batch's record message) taken at `timestampMs`. */
  record(timestampMs: number): { readonly messageId: string; readonly bytes: Uint8Array };
  /** A record that breaks its message's declared ranges (when it declares any). */
  invalid?(timestampMs: number): { readonly messageId: string; readonly bytes: Uint8Array };
  /** Batch: the uncompressed envelope of `records`; `crcDelta` is XORed into its checksum. */
  batch?(records: readonly Uint8Array[], createdAtMs: number, crcDelta?: number): Uint8Array;
}

/** What the generated package provides to the kit. */
export interface HandlersUnderTest {
  readonly operations: readonly OperationUnderTest[];
  readonly replay: ReplayFactory;
  readonly downstreamPolicy: DownstreamPolicy;
  readonly metrics: HandlerMetricNames;
}

/** The dedup table the kit creates in dynalite (local only). */
export const KIT_DEDUP_TABLE = "kit_dedup";

/** The cloud clock every rig starts at (a fixed instant: DLQ keys and freshness are reproducible). */
export const KIT_T0 = Date.UTC(2026, 0, 15, 12);

/** The dynalite table of a key-value-store downstream. */
export function kitTable(downstream: string): string {
  return `kit_${downstream.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** One generated handler set over fresh clients of the kit's peers. */
export interface Rig {
  readonly ports: HandlerPorts;
  readonly metrics: MemoryMetricsSink;
  /** Retry waits requested so far (full jitter pinned to its upper bound: the schedule itself). */
  readonly delays: number[];
  readonly breakers: CircuitBreakers;
  /** The mocked time-series client of each time-series-store downstream (resolves `{}`). */
  readonly series: Readonly<Record<string, AwsClientStub<TimestreamWriteClient>>>;
  /** Cloud clock, epoch ms; settable. */
  clock: number;
  /** Invokes the handler of `operation` with `payload` on its topic. */
  invoke(
    operation: string,
    payload: Uint8Array,
    context?: InvocationContext,
  ): Promise<InvocationSummary>;
  replay(request: ReplayRequest): Promise<ReplaySummary>;
}

/** Options of `ScenarioKit.rig`. */
export interface RigOptions {
  /** Clients of key-value-store downstreams by participant id (fault middleware added). */
  readonly clients?: Readonly<Record<string, DynamoDBClient>>;
}

/** Running peers plus the generated handlers: one per test file (beforeAll / afterAll). */
export interface ScenarioKit {
  readonly handlers: HandlersUnderTest;
  readonly dynalite: DynaliteHandle;
  readonly s3: S3rverHandle;
  /** A fresh rig: own clients, metrics, breakers, delays and time-series mocks. */
  rig(options?: RigOptions): Rig;
  /** The operation under test `id` (throws for an unknown id: a generator bug). */
  operation(id: string): OperationUnderTest;
  /** A valid record of `operation` at `clock - 60 s` (inside every freshness window). */
  freshRecord(
    rig: Rig,
    operation: string,
  ): { readonly messageId: string; readonly bytes: Uint8Array };
  /** The payload of a batch operation (zstd level 3 when the message is compressed). */
  batchPayload(
    rig: Rig,
    operation: string,
    records: readonly Uint8Array[],
    crcDelta?: number,
  ): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Starts dynalite (a table per key-value-store downstream + the dedup ledger) and s3rver. */
export async function startScenarioKit(handlers: HandlersUnderTest): Promise<ScenarioKit> {
  const downstreams = Object.entries(handlers.downstreamPolicy.downstreams);
  const [dynalite, s3] = await Promise.all([
    startDynalite([
      ...downstreams
        .filter(([, d]) => d.kind === "key-value-store")
        .map(([id]) => ({ name: kitTable(id), partitionKey: "pk" })),
      { name: KIT_DEDUP_TABLE, partitionKey: "pk" },
    ]),
    startS3rver("kit-dead-letters"),
  ]);
  const event = (op: OperationUnderTest, payload: Uint8Array, receivedAt: number): RuleEvent => ({
    payload: Buffer.from(payload).toString("base64"),
    topic: op.topic,
    clientId: op.vehicleId,
    receivedAt,
  });
  const stubs: AwsClientStub<TimestreamWriteClient>[] = [];
  const operation = (id: string): OperationUnderTest => {
    const op = handlers.operations.find((o) => o.operation === id);
    if (!op) throw new RangeError(`no handled operation ${id} in the harness`);
    return op;
  };
  const dedupOwner = handlers.operations.find((o) => o.dedup !== undefined)?.dedup;

  function rig(options: RigOptions = {}): Rig {
    const delays: number[] = [];
    const metrics = new MemoryMetricsSink();
    const state = { clock: KIT_T0 };
    const retryOf = (id: string): RetryOptions => ({
      policy: handlers.downstreamPolicy.downstreams[id]?.retry ?? handlers.downstreamPolicy.retry,
      random: () => 1,
      sleep: async (ms) => void delays.push(ms),
      onRetry: ({ error }) => {
        if (classifyAwsError(error) === "throttled" && handlers.metrics.throttled)
          metrics.count(handlers.metrics.throttled, 1, { [THROTTLED_DIMENSION]: id });
      },
    });
    const ports: Record<string, DownstreamPort> = {};
    const series: Record<string, AwsClientStub<TimestreamWriteClient>> = {};
    for (const [id, spec] of downstreams) {
      if (spec.kind === "key-value-store") {
        ports[id] = {
          kind: "key-value-store",
          store: new DynamoDbRecordStore({
            client: options.clients?.[id] ?? dynalite.newClient(),
            tableName: kitTable(id),
            retry: retryOf(id),
            downstream: id,
          }),
        };
      } else {
        const client = new TimestreamWriteClient({
          region: "local",
          credentials: { accessKeyId: "x", secretAccessKey: "x" },
        });
        const stub = mockClient(client);
        stub.on(WriteRecordsCommand).resolves({});
        stubs.push(stub);
        series[id] = stub;
        ports[id] = {
          kind: "time-series-store",
          sink: new TimestreamSink({
            client,
            databaseName: "kit",
            tableName: kitTable(id),
            retry: retryOf(id),
            downstream: id,
          }),
        };
      }
    }
    const handlerPorts: HandlerPorts = {
      ...(dedupOwner
        ? {
            dedup: new DynamoDbDedupStore({
              client: dynalite.newClient(),
              tableName: KIT_DEDUP_TABLE,
              retry: retryOf(dedupOwner),
              downstream: dedupOwner,
            }),
          }
        : {}),
      downstreams: ports,
      dlq: new S3DeadLetterQueue({ client: s3.client, bucket: s3.bucket }),
      metrics,
      now: () => state.clock,
    };
    const breakers = new CircuitBreakers(handlers.downstreamPolicy, {
      random: () => 0,
      now: () => state.clock,
    });
    const byOperation = new Map(
      handlers.operations.map((o) => [o.operation, o.factory(handlerPorts, breakers)]),
    );
    const replay = handlers.replay(handlerPorts, breakers);
    return {
      ports: handlerPorts,
      metrics,
      delays,
      breakers,
      series,
      get clock() {
        return state.clock;
      },
      set clock(value: number) {
        state.clock = value;
      },
      invoke: (id, payload, context) =>
        byOperation.get(operation(id).operation)!(
          event(operation(id), payload, state.clock),
          context,
        ),
      replay: (request) => replay(request),
    };
  }

  return {
    handlers,
    dynalite,
    s3,
    rig,
    operation,
    freshRecord: (r, id) => operation(id).record(r.clock - 60_000),
    batchPayload: async (r, id, records, crcDelta = 0) => {
      const op = operation(id);
      if (!op.batch) throw new RangeError(`operation ${id} is not a batch operation`);
      const envelope = op.batch(records, r.clock - 1000, crcDelta);
      return op.zstd ? Uint8Array.from(await compress(Buffer.from(envelope), 3)) : envelope;
    },
    close: async () => {
      for (const s of stubs) s.restore();
      await Promise.all([dynalite.close(), s3.close()]);
    },
  };
}

/** The DLQ reason code of a key `dlq/<REASON>/yyyy/mm/dd/<vehicle>/<id>`. */
export function dlqReasonOf(key: string): string {
  return key.split("/")[1] ?? "";
}
