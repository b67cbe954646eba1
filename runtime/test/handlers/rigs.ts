/**
 * The test spec's handlers wired on real adapters: locally (SQLite + filesystem DLQ) here, on
 * the AWS adapters in `aws-rig.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryMetricsSink } from "../../src/cloud/memory-metrics.js";
import { CircuitBreakers } from "../../src/handlers/breakers.js";
import type { InvocationContext, RuleEvent } from "../../src/handlers/event.js";
import {
  createBatchHandler,
  createRecordHandler,
  type RuleEventHandler,
} from "../../src/handlers/handlers.js";
import { createLocalPorts, type LocalPorts } from "../../src/handlers/local-ports.js";
import type { HandlerPorts } from "../../src/handlers/ports.js";
import {
  replayDeadLetters,
  type ReplayRequest,
  type ReplaySummary,
} from "../../src/handlers/replay.js";
import {
  T0,
  batchCodec,
  batchPolicy,
  downstreamPolicy,
  parseBatchTopic,
  parseRecordTopic,
  readingCodec,
  recordPolicy,
  replayRoutes,
} from "./test-spec.js";

/** The handlers of the test spec on some ports. */
export interface Rig {
  readonly ports: HandlerPorts;
  readonly metrics: MemoryMetricsSink;
  readonly breakers: CircuitBreakers;
  readonly record: RuleEventHandler;
  readonly batch: RuleEventHandler;
  replay(request?: ReplayRequest, context?: InvocationContext): Promise<ReplaySummary>;
  /** Cloud clock (settable). */
  clock: number;
}

/** Builds the handlers over `ports` (their clock must read `state.clock`). */
export function wire(
  ports: HandlerPorts,
  metrics: MemoryMetricsSink,
  state: { clock: number },
): Rig {
  const breakers = new CircuitBreakers(downstreamPolicy, {
    random: () => 0,
    now: () => state.clock,
  });
  breakers.reportTo(metrics, recordPolicy.metrics["circuit-open"]);
  const common = { ports, breakers };
  const record = createRecordHandler({
    policy: recordPolicy,
    codec: readingCodec,
    parseVehicleId: parseRecordTopic,
    ...common,
  });
  const batch = createBatchHandler({
    policy: batchPolicy,
    batchCodec,
    recordCodec: readingCodec,
    parseVehicleId: parseBatchTopic,
    ...common,
  });
  return {
    ports,
    metrics,
    breakers,
    record,
    batch,
    replay: (request = {}, context) =>
      replayDeadLetters(replayRoutes, ports, breakers, request, context),
    get clock() {
      return state.clock;
    },
    set clock(value: number) {
      state.clock = value;
    },
  };
}

/** A local rig in a fresh directory (SQLite + filesystem DLQ). */
export interface LocalRig extends Rig {
  readonly ports: LocalPorts;
  readonly directory: string;
  close(): void;
}

/** Starts a local rig; `directory` reuses an existing one (another process's, say). */
export function localRig(
  options: { directory?: string; lockWaitMs?: number; memoryRetentionMs?: number } = {},
): LocalRig {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), "h4-local-"));
  const state = { clock: T0 };
  const ports = createLocalPorts({
    directory,
    downstream: downstreamPolicy,
    memoryRetentionMs: options.memoryRetentionMs ?? 3 * 86_400_000,
    now: () => state.clock,
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
  });
  const rig = wire(ports, ports.metrics, state);
  return Object.assign(rig, {
    ports,
    directory,
    close: () => {
      ports.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  }) as LocalRig;
}

/** Invokes a handler and returns its summary or the error it threw. */
export async function invoke(
  handler: RuleEventHandler,
  event: RuleEvent,
  context?: InvocationContext,
): Promise<Awaited<ReturnType<RuleEventHandler>> | Error> {
  try {
    return await handler(event, context);
  } catch (error) {
    return error as Error;
  }
}

/** The keys of every record a key-value store holds, via the DLQ-independent store API. */
export async function storedIn(ports: HandlerPorts, id: string, keys: readonly string[]) {
  const port = ports.downstreams[id];
  if (port?.kind !== "key-value-store") throw new Error(`${id} is not a key-value store`);
  const found: string[] = [];
  for (const key of keys) if (await port.store.get(key)) found.push(key);
  return found;
}
