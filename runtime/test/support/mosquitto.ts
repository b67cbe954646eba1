// The Mosquitto launcher lives in the runtime's testing kit (`@v2c/runtime/testing`); the
// runtime's own tests default to the repository's vehicle ACL below.
import {
  startMosquitto as startKitMosquitto,
  type MosquittoBroker,
  type MosquittoOptions,
} from "../../src/testing/mosquitto.js";

export type {
  MosquittoBroker,
  MosquittoOptions,
  MosquittoTls,
} from "../../src/testing/mosquitto.js";

/** The runtime tests' vehicle ACL: write own topics, read own commands (username = cert CN). */
export const VEHICLE_ACL = ["pattern write v2c/v1/+/%u/#", "pattern read v2c/v1/+/%u/command"];

/** Starts Mosquitto with `VEHICLE_ACL` unless the options give an ACL. */
export function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  return startKitMosquitto({ ...opts, acl: opts.acl ?? VEHICLE_ACL });
}
