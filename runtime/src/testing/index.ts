/**
 * The runtime's testing kit for generated packages' tests (`@v2c/runtime/testing`): a private
 * Mosquitto per test file, a throw-away PKI made with the openssl CLI, and a scripted MQTT 5 peer
 * for the reason codes a real broker never sends. Real processes and sockets, no mocks.
 */
export { freePort, waitForPort } from "./ports.js";
export {
  OPEN_ACL,
  startMosquitto,
  type MosquittoBroker,
  type MosquittoOptions,
  type MosquittoTls,
} from "./mosquitto.js";
export { makeTestPki, type Identity, type TestPki } from "./certs.js";
export { ScriptedPeer, type Received, type ScriptedPeerScript } from "./scripted-peer.js";
