import type { Model, OperationModel, ReplayModel } from "../../model/types.js";

/** A handler's downstream participants (VOCABULARY §2: `writes`, `dedup`, `dead-letter`). */
export interface HandlerBinding {
  readonly writes: readonly string[];
  readonly dedup?: string;
  readonly deadLetter?: string;
}

/** One Lambda function of the pipeline and its sizing. */
export interface FunctionView {
  readonly name: string;
  /** The operation whose IoT rule invokes it; undefined for the replay function. */
  readonly operationId?: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** Reserved concurrency; undefined: none reserved. */
  readonly reservedConcurrency?: number;
  readonly role: "processor" | "replay";
  /** Invoked asynchronously (by an IoT rule): gets an on-failure destination and its alarm. */
  readonly async: boolean;
  readonly writes: readonly string[];
  readonly dedup?: string;
  readonly deadLetter?: string;
}

/** Lambda's default memory: the replay function's floor. */
export const LAMBDA_DEFAULT_MEMORY_MB = 128;

/** Lambda's maximum timeout: the replay function walks the DLQ and may use all of it. */
export const LAMBDA_MAX_TIMEOUT_MS = 900_000;

/** Name of the replay function when `x-v2c.replay.name` is absent (documented in the README). */
export const DEFAULT_REPLAY_NAME = "dead-letter-replay";

/** The operations an IoT rule routes to a handler: vehicle -> cloud (`send`) with `x-handler`. */
export function handledOperations(model: Model): OperationModel[] {
  return model.operations.filter((op) => op.action === "send" && op.handler);
}

/** The downstream participants of an operation's handler. */
export function handlerBinding(op: OperationModel): HandlerBinding {
  const h = op.handler;
  return {
    writes: [...(h?.writes ?? [])],
    ...(h?.dedup ? { dedup: h.dedup } : {}),
    ...(h?.deadLetter ? { deadLetter: h.deadLetter } : {}),
  };
}

/** The replay function's declaration (`x-v2c.replay`; the model fills its defaults). */
function replayOf(model: Model): Partial<ReplayModel> {
  return model.platform.replay ?? {};
}

/** The only object-store participant, the default dead-letter store (VOCABULARY §2). */
export function defaultDeadLetter(model: Model): string | undefined {
  const stores = model.participants.filter((p) => p.kind === "object-store");
  return stores.length === 1 ? stores[0]!.id : undefined;
}

/**
 * One function per handled operation (memory, timeout, reserved concurrency and downstreams
 * from its `x-handler`), plus the DLQ replay function (`x-v2c.replay`; defaults: the largest
 * handler's memory, Lambda's maximum timeout, every downstream of every handler).
 */
export function functions(model: Model): FunctionView[] {
  const fallbackDlq = defaultDeadLetter(model);
  const processors = handledOperations(model).map((op): FunctionView => {
    const b = handlerBinding(op);
    const deadLetter = b.deadLetter ?? fallbackDlq;
    return {
      name: op.handler!.name,
      operationId: op.id,
      memoryMb: op.handler!.memoryMb,
      timeoutMs: op.handler!.timeoutMs,
      ...(op.handler!.reservedConcurrency
        ? { reservedConcurrency: op.handler!.reservedConcurrency }
        : {}),
      role: "processor",
      async: true,
      writes: b.writes,
      ...(b.dedup ? { dedup: b.dedup } : {}),
      ...(deadLetter ? { deadLetter } : {}),
    };
  });
  const replay = replayOf(model);
  const union = (pick: (f: FunctionView) => readonly (string | undefined)[]) =>
    [...new Set(processors.flatMap(pick).filter((x): x is string => x !== undefined))].sort();
  const dlqs = union((f) => [f.deadLetter]);
  const dedups = union((f) => [f.dedup]);
  return [
    ...processors,
    {
      name: replay.name ?? DEFAULT_REPLAY_NAME,
      memoryMb:
        replay.memoryMb ?? Math.max(LAMBDA_DEFAULT_MEMORY_MB, ...processors.map((p) => p.memoryMb)),
      timeoutMs: replay.timeoutMs ?? LAMBDA_MAX_TIMEOUT_MS,
      role: "replay",
      async: false,
      writes: union((f) => f.writes),
      ...(dedups.length === 1 ? { dedup: dedups[0]! } : {}),
      ...(dlqs.length >= 1 ? { deadLetter: dlqs[0]! } : {}),
    },
  ];
}
