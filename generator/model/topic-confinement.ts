import type { DiagnosticBag } from "../diagnostics.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import type { Model } from "./types.js";

/**
 * What the IoT policy and the local broker's ACL need, checked in the model stage so that their
 * emitters never throw on user input:
 * - every server's client id is one `{parameter}` (the thing name = certificate identity), the
 *   same one on every server;
 * - every channel a vehicle publishes on (send operations, and the reply channels of receive
 *   operations) carries that parameter in its address, so a vehicle can be confined to its own
 *   topics. A channel a vehicle only receives on may leave it out: a broadcast to every vehicle
 *   of its other parameters, which vehicles may read but never write.
 */
export function checkTopicConfinement(model: Model, asyncapi: LoadedAsyncApi, bag: DiagnosticBag) {
  const a = asyncapi.source;
  const names = new Set<string>();
  for (const s of model.servers) {
    const m = /^\{([A-Za-z0-9_]+)\}$/.exec(s.clientIdTemplate);
    if (m) {
      names.add(m[1]!);
      continue;
    }
    const clientId = ["servers", s.id, "bindings", "mqtt", "clientId"];
    bag.error(
      a.file,
      a.locate(s.clientIdTemplate ? clientId : ["servers", s.id]),
      "servers/client-id",
      s.clientIdTemplate
        ? `server "${s.id}": clientId "${s.clientIdTemplate}" must be exactly one {parameter} (the vehicle's thing name and certificate identity, e.g. "{vehicle_id}")`
        : `server "${s.id}" declares no bindings.mqtt.clientId: it must be one {parameter} (the vehicle's thing name and certificate identity, e.g. "{vehicle_id}")`,
    );
  }
  if (names.size > 1) {
    bag.error(
      a.file,
      a.locate(["servers"]),
      "servers/client-id",
      `the servers' clientId templates name different parameters (${[...names].join(", ")}): a vehicle has one identity`,
    );
  }
  if (names.size !== 1) return;
  const [vehicle] = names;
  const reported = new Set<string>();
  const publishes = (channelId: string, operation: string, role: string) => {
    const channel = model.channels.find((c) => c.id === channelId);
    if (!channel || reported.has(channel.id)) return;
    if (channel.parameters.some((p) => p.name === vehicle)) return;
    reported.add(channel.id);
    bag.error(
      a.file,
      a.locate(["channels", channel.id, "address"]),
      "channels/vehicle-confinement",
      `channel "${channel.id}" (${channel.address}) has no {${vehicle}} parameter, but vehicles publish on it (${role} of operation "${operation}"): a vehicle could not be confined to its own topics by the IoT policy or the broker's ACL`,
    );
  };
  for (const op of model.operations) {
    if (op.action === "send") publishes(op.channelId, op.id, "the channel");
    else if (op.reply) publishes(op.reply.channelId, op.id, "the reply channel");
  }
}
