import type { BrokerSpec } from "./broker-config.js";
import type { LocalAlarm } from "./local-alarms.js";
import type { LocalFlow, LocalFlowOptions } from "./local-flow.js";
import type { LocalRulesEngineOptions } from "./rules-engine.js";

/** What the generated pipeline starts with (see the generated `startLocalPipeline`). */
export interface PipelineStartOptions {
  readonly brokerUrl: string;
  readonly directory: string;
  readonly tls?: LocalRulesEngineOptions["tls"];
  readonly clientId?: string;
  readonly maxBatch?: number;
  readonly retryDelaysMs?: readonly number[];
  readonly onMetric?: LocalFlowOptions["onMetric"];
  readonly onConnection?: LocalFlowOptions["onConnection"];
}

/** The generated pipeline's handle as the supervisor uses it. */
export interface RunningPipeline extends LocalFlow {
  readonly handlers: {
    readonly breakers: {
      states(): Record<string, string>;
      reset(downstream?: string): void;
    };
    readonly ports: {
      readonly db: {
        exec(sql: string): unknown;
        prepare(sql: string): { get(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] };
      };
    };
    /** The dead-letter replay (the generated handlers' spec-independent `replay`). */
    readonly replay: (request: {
      prefix?: string;
      dryRun?: boolean;
      limit?: number;
      [k: string]: unknown;
    }) => Promise<unknown>;
  };
}

/** Everything the local commands take from the generated package (one per spec). */
export interface LocalApp {
  readonly title: string;
  readonly brokerSpec: BrokerSpec;
  /** Certificate CN of the rules engine (its username and client id at the broker). */
  readonly engineIdentity: string;
  startPipeline(options: PipelineStartOptions): Promise<RunningPipeline>;
  /** The handlers on the local adapters of `directory`, without an engine (operator commands). */
  createHandlers(directory: string): RunningPipeline["handlers"] & { close(): void };
  /** Module file and export name of the fleet bindings (loaded by the simulator's workers). */
  readonly fleetModule: string;
  readonly fleetExport: string;
  readonly alarms: readonly LocalAlarm[];
  /** Handler metric names by role (the latency timer, DLQ count, ...). */
  readonly metricNames: Readonly<Record<string, string | undefined>>;
  /** Link to a runbook (by id) for a firing alarm. */
  runbookLink(runbook: string): string;
}
