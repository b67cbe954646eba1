import { createHash } from "node:crypto";
import { build, type Histogram } from "hdr-histogram-js";
import type { DeadLetterQueue, DeadLetterType, MetricsSink } from "../cloud/ports.js";
import { ruleActionDeadLetterEntry } from "../cloud/dlq-entry.js";
import type { SqliteDatabase } from "../cloud/sqlite.js";
import { startBackgroundCheckpoint } from "../cloud/sqlite-checkpointer.js";
import { deferClaimsInTransactions } from "../cloud/sqlite-dedup-store.js";
import type { InvocationContext, RuleEvent } from "../handlers/event.js";
import { tapMetrics, type TappedMetric } from "./metric-tap.js";
import {
  LocalRulesEngine,
  type EngineTransactions,
  type LocalRule,
  type LocalRulesEngineOptions,
} from "./rules-engine.js";

/** A rule of the local flow: the engine's rule plus what its DLQ entries need. */
export interface FlowRule extends LocalRule {
  /** The operation whose handler the rule invokes (a DLQ entry's replay route). */
  readonly operation: string;
  /** `batch` for a batch handler's rule, else `record`. */
  readonly type: DeadLetterType;
}

/** The handlers on the local adapters, as the flow needs them. */
export interface FlowHandlers {
  readonly ports: {
    readonly db: SqliteDatabase;
    readonly metrics: MetricsSink;
    readonly dlq: DeadLetterQueue;
  };
  close(): void;
}

/** What the flow counts (records, not MQTT messages: a batch holds many). */
export interface FlowCounters {
  stored: number;
  duplicates: number;
  deadLettered: number;
  /** DLQ entries by reason code (the key's first segment). */
  readonly dlqByReason: Record<string, number>;
  /** Rule actions that failed after the retries (filed as RULE_ACTION_FAILED-type entries). */
  ruleActionFailures: number;
}

/** Options of startLocalFlow. */
export interface LocalFlowOptions extends Omit<
  LocalRulesEngineOptions,
  "rules" | "transactions" | "onError"
> {
  readonly rules: readonly FlowRule[];
  readonly handlers: FlowHandlers;
  /** The handlers' latency timer (the metric with the `processing-latency` role; none: no latency). */
  readonly latencyMetric: string | undefined;
  /** Reason code of a failed rule action (the rule's error action). */
  readonly ruleActionReason?: string;
  /** Every handler metric, with its time (alarms, Prometheus). */
  readonly onMetric?: (m: TappedMetric) => void;
  /**
   * Each invocation's unit of work (claim + writes + completion) as a savepoint of the batch
   * transaction, so a unit that throws leaves none of its writes. Off by default: a savepoint
   * copies every page the unit touches into the statement journal (measured ~9 µs a message
   * with 4 KiB pages, ~57 with 16 KiB), and the pipeline does not need it — without it a unit
   * behaves as in AWS, where the stores are not transactional either: writes are idempotent
   * by key, a failed record is released with the sinks that hold it, and the batch as a whole
   * still commits or rolls back at once.
   */
  readonly atomicMessages?: boolean;
}

/** A running local flow: engine + handlers + counters + publish→stored latency. */
export interface LocalFlow {
  readonly engine: LocalRulesEngine;
  readonly counters: FlowCounters;
  /** Publish→stored latency (ms) of every stored record since start. */
  readonly latency: Histogram;
  /** The same, since the last `takeWindow()`. */
  takeWindow(): { latency: Histogram; stored: number };
  stop(): Promise<void>;
}

function histogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
}

/**
 * A savepoint for async work inside the engine's batch transaction: what the handlers' unit of
 * work (`ports.atomic`: claim + writes + completion) becomes under micro-batching, since its
 * own BEGIN cannot nest. Rolled back to the savepoint on a throw, so nothing half-done stays.
 */
export function savepointUnit(db: SqliteDatabase): <T>(work: () => Promise<T>) => Promise<T> {
  // Prepared once: db.exec() parses its SQL on every call (~12% of the handler path's CPU).
  const open = db.prepare("SAVEPOINT unit");
  const release = db.prepare("RELEASE unit");
  const rollback = db.prepare("ROLLBACK TO unit");
  return async (work) => {
    open.run();
    try {
      const result = await work();
      release.run();
      return result;
    } catch (error) {
      rollback.run();
      release.run();
      throw error;
    }
  };
}

/** SQLite transactions for the engine: one per micro-batch (the handlers' units are its savepoints). */
export function sqliteTransactions(
  db: SqliteDatabase,
  hooks: { beforeCommit?: () => void; committed?: () => void; rolledBack?: () => void } = {},
): EngineTransactions {
  // Prepared once (exec parses its SQL each call; at a steady rate batches are small).
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  return {
    async batch(work) {
      // IMMEDIATE: the write lock from the start, so the dedup claims' reads inside are current.
      begin.run();
      try {
        const result = await work();
        hooks.beforeCommit?.();
        commit.run();
        hooks.committed?.();
        return result;
      } catch (error) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // already rolled back by SQLite
        }
        hooks.rolledBack?.();
        throw error;
      }
    },
    // The handlers' unit of work (claim + writes + completion) is already a savepoint
    // (`savepointUnit`); a second one per invocation would only add two statements a message.
    message: (work) => work(),
  };
}

function reasonOf(key: string): string {
  const parts = key.split("/");
  return parts[0] === "dlq" ? (parts[1] ?? "unknown") : (parts[0] ?? "unknown");
}

/**
 * Starts the rules engine over the handlers with micro-batched SQLite transactions, and
 * measures what a person wants to see: records stored, duplicates, DLQ entries by reason and
 * the publish→stored latency (the handler's latency observation — vehicle clock at send to
 * the write — plus the wait until the batch's commit, so the figure ends at the commit).
 */
export async function startLocalFlow(options: LocalFlowOptions): Promise<LocalFlow> {
  const { handlers } = options;
  const counters: FlowCounters = {
    stored: 0,
    duplicates: 0,
    deadLettered: 0,
    dlqByReason: {},
    ruleActionFailures: 0,
  };
  const latency = histogram();
  let window = histogram();
  let windowStored = 0;
  let pending: { value: number; at: number }[] = [];
  let pendingStored = 0;
  let pendingDuplicates = 0;
  const now = options.now ?? Date.now;
  // Checkpoints (copy WAL pages back + fsync) off the engine's thread (see the function).
  const checkpointer = startBackgroundCheckpoint(handlers.ports.db);
  // The handlers' per-invocation unit of work runs inside the batch transaction (its own
  // BEGIN cannot nest): directly, or as a savepoint when asked (`atomicMessages`).
  (handlers.ports as { atomic?: unknown }).atomic = options.atomicMessages
    ? savepointUnit(handlers.ports.db)
    : <T>(work: () => Promise<T>): Promise<T> => work();
  tapMetrics(
    handlers.ports.metrics,
    (m) => {
      if (m.kind === "observe" && options.latencyMetric && m.name === options.latencyMetric) {
        pending.push({ value: m.value, at: m.atMs });
      }
      options.onMetric?.(m);
    },
    now,
    // Without an onMetric listener only the latency observations are needed here.
    options.onMetric
      ? undefined
      : (kind, name) => kind === "observe" && name === options.latencyMetric,
  );
  const countDlq = (keys: readonly string[]) => {
    for (const k of keys) {
      counters.deadLettered++;
      const r = reasonOf(k);
      counters.dlqByReason[r] = (counters.dlqByReason[r] ?? 0) + 1;
    }
  };
  // Claims inside the batch transaction are written once, at completion, and the completions
  // together before the commit (see the function; at once when units are savepoints).
  const claims = deferClaimsInTransactions(
    (handlers.ports as { dedup?: unknown }).dedup,
    !options.atomicMessages,
  );
  const transactions = sqliteTransactions(handlers.ports.db, {
    beforeCommit: claims.beforeCommit,
    committed: () => {
      claims.ended();
      const at = now();
      for (const p of pending) {
        const ms = Math.max(1, Math.round(p.value + (at - p.at)));
        latency.recordValue(Math.min(ms, 3_600_000));
        window.recordValue(Math.min(ms, 3_600_000));
      }
      counters.stored += pendingStored;
      counters.duplicates += pendingDuplicates;
      windowStored += pendingStored;
      pending = [];
      pendingStored = 0;
      pendingDuplicates = 0;
    },
    rolledBack: () => {
      claims.ended();
      pending = [];
      pendingStored = 0;
      pendingDuplicates = 0;
    },
  });
  const rules: LocalRule[] = options.rules.map((rule) => ({
    name: rule.name,
    filter: rule.filter,
    timeoutMs: rule.timeoutMs,
    handler: async (event: RuleEvent, context: InvocationContext) => {
      const summary = (await rule.handler(event, context)) as Partial<{
        stored: number;
        duplicates: number;
        dlqKeys: readonly string[];
      }> | void;
      pendingStored += summary?.stored ?? 0;
      pendingDuplicates += summary?.duplicates ?? 0;
      countDlq(summary?.dlqKeys ?? []);
      return summary;
    },
  }));
  const byName = new Map(options.rules.map((r) => [r.name, r]));
  const engine = new LocalRulesEngine({
    ...options,
    rules,
    transactions,
    onError: async (rule, event, error) => {
      const flowRule = byName.get(rule.name)!;
      const payload = Buffer.from(event.payload, "base64");
      counters.ruleActionFailures++;
      const key = await handlers.ports.dlq.put(
        ruleActionDeadLetterEntry({
          operation: flowRule.operation,
          type: flowRule.type,
          reasonCode: options.ruleActionReason ?? "RULE_ACTION_FAILED",
          error,
          vehicleId: event.clientId || "unknown",
          topic: event.topic,
          receivedAt: event.receivedAt,
          payload,
          id: `${rule.name}-${createHash("sha256").update(payload).digest("hex").slice(0, 32)}`,
        }),
      );
      countDlq([key]);
    },
  });
  try {
    await engine.start();
  } catch (error) {
    await checkpointer.stop();
    throw error;
  }
  return {
    engine,
    counters,
    latency,
    takeWindow() {
      const out = { latency: window, stored: windowStored };
      window = histogram();
      windowStored = 0;
      return out;
    },
    async stop() {
      await engine.stop();
      await checkpointer.stop();
      handlers.close();
    },
  };
}
