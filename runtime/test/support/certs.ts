// The test PKI lives in the runtime's testing kit (`@v2c/runtime/testing`).
export { makeTestPki, type Identity, type TestPki } from "../../src/testing/certs.js";
