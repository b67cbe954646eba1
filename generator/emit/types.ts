import type { Model } from "../model/types.js";

/** One file of output: a path relative to the output root, and its final (formatted) text. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Everything an emitter may need beyond the model (precomputed, no file system access). */
export interface EmitContext {
  readonly model: Model;
  /** ts-proto output by proto file name without extension, e.g. `v2c/telemetry/v1/telemetry`. */
  readonly protoTs: ReadonlyMap<string, string>;
}

/** An emitter is a pure function from the model to files. */
export type Emitter = (ctx: EmitContext) => GeneratedFile[];
