import type { ClaimOptions, ClaimResult, DedupStore, MessageKey } from "../cloud/ports.js";
import type { StepContext } from "./context.js";
import { asFailure, downstreamFailure, PipelineFailure } from "./failure.js";

const NO_DEDUP: ClaimResult = Object.freeze({ status: "claimed", done: Object.freeze([]) });

/**
 * The method key of a synchronous claim. A symbol, not a name, so that no store offers it by
 * accident (a store's own private helper called `claimNow` must not be taken for it);
 * registered (`Symbol.for`), so two copies of this module agree on it.
 */
export const SYNC_CLAIM: unique symbol = Symbol.for("v2c.dedup.syncClaim");

/**
 * A dedup store that can also answer a claim synchronously (an in-process ledger: there is
 * nothing to wait for). `[SYNC_CLAIM]` must be the same ledger transition as `claim`.
 */
export interface SyncClaimStore extends DedupStore {
  [SYNC_CLAIM](key: MessageKey, nowMs: number, options: ClaimOptions): ClaimResult;
}

function canClaimNow(store: DedupStore): store is SyncClaimStore {
  return typeof (store as Partial<SyncClaimStore>)[SYNC_CLAIM] === "function";
}

/**
 * Claims a message in the dedup ledger, through the dedup participant's circuit. A handler
 * without `dedup` claims nothing (its writes are idempotent by key). A duplicate is counted;
 * store errors become failures of the dedup participant.
 *
 * A store with a `[SYNC_CLAIM]` method is answered synchronously while its circuit is closed: the breaker
 * counts only failures there (a success while closed changes nothing), so calling the store
 * directly and counting a thrown error against the circuit (`recordFailure`) is what `execute`
 * would do, without its promises. Otherwise (and for every asynchronous store) the claim runs
 * through the breaker. Errors always come back as a rejected promise.
 */
export function claimMessage(
  ctx: StepContext,
  key: MessageKey,
): ClaimResult | Promise<ClaimResult> {
  const dedup = ctx.policy.dedup;
  const store = ctx.ports.dedup;
  if (!dedup || !store) return NO_DEDUP;
  const options = { windowMs: dedup.windowMs, leaseMs: ctx.policy.timeoutMs };
  if (canClaimNow(store) && ctx.breakers.isClosed(dedup.downstream)) {
    let result: ClaimResult;
    try {
      result = store[SYNC_CLAIM](key, ctx.nowMs, options);
    } catch (error) {
      return failedClaim(ctx, dedup.downstream, error);
    }
    return counted(ctx, result);
  }
  return claimThroughBreaker(ctx, store, dedup.downstream, key, options);
}

async function claimThroughBreaker(
  ctx: StepContext,
  store: DedupStore,
  downstream: string,
  key: MessageKey,
  options: ClaimOptions,
): Promise<ClaimResult> {
  let result: ClaimResult;
  try {
    result = await ctx.breakers.run(downstream, () => store.claim(key, ctx.nowMs, options));
  } catch (error) {
    throw downstreamFailure(downstream, error);
  }
  return counted(ctx, result);
}

/** A synchronous claim that threw: counted by the circuit as `execute` would, then rejected. */
async function failedClaim(
  ctx: StepContext,
  downstream: string,
  error: unknown,
): Promise<ClaimResult> {
  await ctx.breakers.recordFailure(downstream, error);
  throw downstreamFailure(downstream, error);
}

function counted(ctx: StepContext, result: ClaimResult): ClaimResult {
  if (result.status === "duplicate") {
    ctx.metrics.count("duplicates", 1, { operation: ctx.policy.operation });
  }
  return result;
}

/**
 * Marks a message done after all its writes succeeded. A failure here is logged and counted,
 * not thrown: the message is stored; the claim stays in progress, so a redelivery inside the
 * lease is retried later and one after it rewrites the same keys (idempotent).
 */
export async function completeMessage(ctx: StepContext, key: MessageKey): Promise<void> {
  const dedup = ctx.policy.dedup;
  const store = ctx.ports.dedup;
  if (!dedup || !store) return;
  try {
    await ctx.breakers.run(dedup.downstream, () =>
      store.complete(key, (ctx.ports.now ?? Date.now)(), dedup.windowMs),
    );
  } catch (error) {
    const failure = downstreamFailure(dedup.downstream, error);
    ctx.metrics.count("downstream-errors", 1, {
      downstream: dedup.downstream,
      signal: failure.signal,
    });
    ctx.logger.error("dedup completion failed", { ...key, error: failure.message });
  }
}

/**
 * Gives up the claim of a message whose writes failed, remembering the sinks that hold it so
 * the redelivery or DLQ replay writes only the others. A failed release is logged, not
 * thrown: the message is on its way to the DLQ, whose entry names the pending sinks too.
 */
export async function releaseMessage(
  ctx: StepContext,
  key: MessageKey,
  done: readonly string[],
): Promise<void> {
  const store = ctx.ports.dedup;
  if (!ctx.policy.dedup || !store) return;
  try {
    await store.release(key, done);
  } catch (error) {
    ctx.logger.error("dedup claim release failed", {
      ...key,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * A failure of the unit of work itself (not of one call in it: the local transaction could not
 * start or commit), charged to the store that backs the claims (else the first declared
 * write): counted by its breaker and its downstream-errors metric, then dead-lettered.
 */
export async function unitFailure(ctx: StepContext, error: unknown): Promise<PipelineFailure> {
  if (error instanceof PipelineFailure) return error;
  const id = ctx.policy.dedup?.downstream ?? ctx.policy.writes[0];
  if (id === undefined) return asFailure(error);
  const failure = downstreamFailure(id, error);
  await ctx.breakers.recordFailure(id, error);
  ctx.metrics.count("downstream-errors", 1, { downstream: id, signal: failure.signal });
  return failure;
}
