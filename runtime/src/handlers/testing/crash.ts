/**
 * The `crashed-invocation` scenario (signal `out-of-memory` on a function): the invocation
 * dies in the middle of a downstream write, as when the Lambda runtime kills a process that ran
 * out of memory — the write has reached the store, and nothing after it runs (no completion of
 * the dedup claim, no release, no DLQ entry, no metric). The platform then delivers the same
 * payload again (the rule's or the asynchronous invocation's retry). What must hold: a retry
 * while the dead invocation's claim is still leased asks to be redelivered; one after the lease
 * takes the claim over and stores every record once; a later copy is a duplicate.
 *
 * In process, "nothing after it runs" is an invocation abandoned at that point: the downstream's
 * client answers the write that reached the store with a promise that never settles. The
 * state the crash leaves behind is real: the claim and the written item are in dynalite, which
 * outlives the dead invocation as DynamoDB does, and the retry runs on a new rig (new clients,
 * breakers and metrics: a new execution environment).
 */
import { WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RedeliveryRequired, type InvocationSummary } from "../outcome.js";
import type { Rig, ScenarioKit } from "./kit.js";

/** How long the scenario waits for the doomed write to reach the store. */
const CRASH_POINT_TIMEOUT_MS = 10_000;

/** Records in the payload of a batch operation (one for a record operation). */
const BATCH_RECORDS = 3;

/** Observation of a crashed invocation and the platform's redeliveries. */
export interface CrashedInvocationRun {
  /** The rig of the redeliveries (the crashed invocation's rig is gone with it). */
  readonly rig: Rig;
  /** Message ids in the payload. */
  readonly messageIds: readonly string[];
  /** Downstream calls that reached the store before the crash (at least 1). */
  readonly writesBeforeCrash: number;
  /** The redelivery inside the dead invocation's lease: the message ids it was asked to redeliver. */
  readonly inLease:
    { readonly redeliver: readonly string[] } | { readonly summary: InvocationSummary };
  /** The redelivery once the lease has expired. */
  readonly afterLease: InvocationSummary;
  /** One more copy after that, inside the dedup window. */
  readonly later: InvocationSummary;
}

type Handler = (args: { input: unknown }) => Promise<unknown>;

/** Lets every call through to the peer, then never answers: the caller is dead. */
function dieAfterWrite(client: DynamoDBClient, counter: { calls: number }): void {
  const crash =
    (next: Handler): Handler =>
    async (args) => {
      await next(args);
      counter.calls++;
      return new Promise<never>(() => {});
    };
  client.middlewareStack.add(crash as never, {
    step: "initialize",
    name: "fault-crash-after-write",
    priority: "high",
  });
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + CRASH_POINT_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`crashed-invocation: ${what} within ${CRASH_POINT_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * out-of-memory: `operation`'s handler (it must keep dedup claims) dies during its first write
 * to `downstream` (a participant it writes), after the write reached the store; the same
 * payload is then redelivered inside the claim's lease, after it, and once more.
 */
export async function crashedInvocation(
  kit: ScenarioKit,
  operation: string,
  downstream: string,
): Promise<CrashedInvocationRun> {
  const op = kit.operation(operation);
  if (!op.dedup) throw new RangeError(`operation ${operation} keeps no dedup claims`);
  const kind = kit.handlers.downstreamPolicy.downstreams[downstream]?.kind;
  const reached = { calls: 0 };
  let doomed: Rig;
  if (kind === "key-value-store") {
    const client = kit.dynalite.newClient();
    dieAfterWrite(client, reached);
    doomed = kit.rig({ clients: { [downstream]: client } });
  } else {
    doomed = kit.rig();
    doomed.series[downstream]!.on(WriteRecordsCommand).callsFake(() => {
      reached.calls++;
      return new Promise<never>(() => {});
    });
  }
  // Taken at the cloud clock itself: still inside every freshness window after the lease.
  const count = op.kind === "batch" ? BATCH_RECORDS : 1;
  const records = Array.from({ length: count }, () => op.record(doomed.clock));
  const payload =
    op.kind === "batch"
      ? await kit.batchPayload(
          doomed,
          operation,
          records.map((r) => r.bytes),
        )
      : records[0]!.bytes;
  const abandoned = doomed.invoke(operation, payload);
  abandoned.catch(() => undefined);
  await until(() => reached.calls > 0, `no write reached ${downstream}`);

  const rig = kit.rig();
  rig.clock = doomed.clock;
  let inLease: CrashedInvocationRun["inLease"];
  try {
    inLease = { summary: await rig.invoke(operation, payload) };
  } catch (error) {
    if (!(error instanceof RedeliveryRequired)) throw error;
    inLease = { redeliver: error.messageIds };
  }
  rig.clock += op.leaseMs + 1;
  const afterLease = await rig.invoke(operation, payload);
  const later = await rig.invoke(operation, payload);
  return {
    rig,
    messageIds: records.map((r) => r.messageId),
    writesBeforeCrash: reached.calls,
    inLease,
    afterLease,
    later,
  };
}
