import type { Model } from "../model/types.js";

/** Where a failure mode is handled in generated output (read by the traceability matrix). */
export interface Trace {
  /** FMEA row id, as written in failure-modes.yaml. */
  readonly failureMode: string;
  /** `mitigation`: code that applies the row's policy; `test`: a test exercising it; `alarm`: the alarm built from its detection. */
  readonly kind: "mitigation" | "test" | "alarm" | "detection";
  /** The symbol, test name or alarm name inside the file. */
  readonly symbol: string;
  /** A test that is only an `it.todo`: why it cannot run (a `--strict` coverage gap). */
  readonly pending?: string;
}

/** One file of output: a path relative to the output root, and its final (formatted) text. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
  /** Failure modes this file mitigates, tests or alarms on (not written; feeds the matrix). */
  readonly traces?: readonly Trace[];
}

/** Everything an emitter may need beyond the model (precomputed, no file system access). */
export interface EmitContext {
  readonly model: Model;
  /** ts-proto output by proto file name without extension, e.g. `v2c/telemetry/v1/telemetry`. */
  readonly protoTs: ReadonlyMap<string, string>;
  /**
   * Text of every `.proto` file by path from the spec root, e.g. `proto/v2c/telemetry/v1/telemetry.proto`
   * (always set by the pipeline; optional so that unit tests of other emitters need not build it).
   */
  readonly protoSources?: ReadonlyMap<string, string>;
  /** The raw text of `asyncapi.yaml` (the bundled contract is a copy of it; always set by the pipeline). */
  readonly asyncApiText?: string;
  /**
   * The contract with payloads inlined (the bundled contract's body), when the pipeline computed
   * it ahead (in the YAML worker) or stands a placeholder in for it; else the emitter computes it.
   */
  readonly bundledAsyncApi?: string;
}

/** An emitter is a pure function from the model to files. */
export type Emitter = (ctx: EmitContext) => GeneratedFile[];
