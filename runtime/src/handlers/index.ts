/** Cloud-side telemetry handlers: the pipeline mechanics the generated Lambda entries bind. */
export * from "./event.js";
export * from "./failure.js";
export * from "./policy.js";
export * from "./ports.js";
export * from "./codec.js";
export * from "./validate.js";
export * from "./checksum.js";
export * from "./deadline.js";
export * from "./breakers.js";
export * from "./outcome.js";
export * from "./record-pipeline.js";
export * from "./batch-pipeline.js";
export * from "./handlers.js";
export * from "./replay.js";
export * from "./memory-dedup-store.js";
export * from "./local-ports.js";
