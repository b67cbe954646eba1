// The ports helpers live in the runtime's testing kit (`@v2c/runtime/testing`).
export { freePort, waitForPort } from "../../src/testing/ports.js";
