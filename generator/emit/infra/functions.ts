import type { Model } from "../../model/types.js";

/** Name of the DLQ replay function (the seed's Procedure 1, step 4). */
export const DLQ_REPLAY_HANDLER = "dlq-replay-handler";

/** One Lambda function of the pipeline and its sizing. */
export interface FunctionView {
  readonly name: string;
  /** The send operation it handles; undefined for the replay handler. */
  readonly operationId?: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** Reserved concurrency; undefined: none reserved. */
  readonly reservedConcurrency?: number;
  readonly role: "processor" | "replay";
}

/** Lambda's default memory: the replay handler's floor when the spec names no handler. */
export const LAMBDA_DEFAULT_MEMORY_MB = 128;

/** Lambda's maximum timeout: the replay handler walks the DLQ and may use all of it. */
export const LAMBDA_MAX_TIMEOUT_MS = 900_000;

/**
 * One function per send operation's `x-handler` (memory, timeout, reserved concurrency from the
 * spec), plus the DLQ replay handler. The spec gives the replay handler no sizing: it gets the
 * largest handler's memory, Lambda's maximum timeout and no reserved concurrency.
 */
export function functions(model: Model): FunctionView[] {
  const processors = model.operations
    .filter((op) => op.action === "send" && op.handler)
    .map((op): FunctionView => ({
      name: op.handler!.name,
      operationId: op.id,
      memoryMb: op.handler!.memoryMb,
      timeoutMs: op.handler!.timeoutMs,
      reservedConcurrency: op.handler!.reservedConcurrency,
      role: "processor",
    }));
  const memoryMb = Math.max(LAMBDA_DEFAULT_MEMORY_MB, ...processors.map((p) => p.memoryMb));
  return [
    ...processors,
    { name: DLQ_REPLAY_HANDLER, memoryMb, timeoutMs: LAMBDA_MAX_TIMEOUT_MS, role: "replay" },
  ];
}
