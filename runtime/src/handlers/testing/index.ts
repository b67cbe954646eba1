/** Test kit of the generated handlers' failure-mode tests (not part of any deployed bundle). */
export * from "./kit.js";
export * from "./scenarios.js";
export * from "./crash.js";
export * from "./registry.js";
