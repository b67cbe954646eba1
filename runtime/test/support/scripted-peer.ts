// The scripted MQTT 5 peer lives in the runtime's testing kit (`@v2c/runtime/testing`).
export {
  ScriptedPeer,
  type Received,
  type ScriptedPeerScript,
} from "../../src/testing/scripted-peer.js";
