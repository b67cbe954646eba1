import type { ChannelModel, Model } from "../../model/types.js";

/** IoT policy variable holding the connected certificate's thing name. */
export const THING_NAME_VARIABLE = "${iot:Connection.Thing.ThingName}";

/** Topic patterns (without the `topic/` / `topicfilter/` ARN prefix) a vehicle may use. */
export interface IotPolicyView {
  readonly thingNameVariable: string;
  /** The channel parameter the client id (= thing name) is built from (the `{param}` of the client id template). */
  readonly vehicleParameter: string;
  /** iot:Publish, on the channels of send operations and the reply channels of receive operations. */
  readonly publishTopics: readonly string[];
  /** iot:Subscribe, on the channels of receive operations. */
  readonly subscribeTopicFilters: readonly string[];
  /** iot:Receive, on the channels of receive operations. */
  readonly receiveTopics: readonly string[];
}

/** The single `{param}` the servers' client id template consists of (the thing name). */
export function vehicleParameter(model: Model): string {
  const names = new Set(
    model.servers.map((s) => {
      const m = /^\{([A-Za-z0-9_]+)\}$/.exec(s.clientIdTemplate);
      if (!m)
        throw new Error(
          `server ${s.id}: client id template ${s.clientIdTemplate} is not one {parameter}`,
        );
      return m[1]!;
    }),
  );
  if (names.size !== 1)
    throw new Error(`servers disagree on the client id parameter: ${[...names].join(", ")}`);
  return [...names][0]!;
}

/**
 * A channel address as an IoT policy resource: the vehicle parameter becomes the thing-name
 * policy variable, every other parameter `*` (which also matches a `+` in a subscription filter).
 */
export function policyTopic(channel: ChannelModel, vehicleParam: string): string {
  return channel.address.replace(/\{([^}]+)\}/g, (_, name: string) =>
    name === vehicleParam ? THING_NAME_VARIABLE : "*",
  );
}

/**
 * Publish on send channels and on the reply channels of receive operations (the vehicle answers
 * there), each its own vehicle's; subscribe/receive only on receive channels, its own or a
 * broadcast one (a receive channel without the vehicle parameter). The model stage reports a
 * publish channel without the vehicle parameter (`channels/vehicle-confinement`).
 */
export function iotPolicy(model: Model): IotPolicyView {
  const vehicle = vehicleParameter(model);
  const topicsOf = (channelIds: readonly string[], own: boolean) =>
    [...new Set(channelIds)].map((id) => {
      const channel = model.channels.find((c) => c.id === id);
      if (!channel) throw new Error(`unknown channel ${id}`);
      if (own && !channel.parameters.some((p) => p.name === vehicle)) {
        throw new Error(
          `channel ${id} has no {${vehicle}} parameter: a vehicle could not be confined to its own topic`,
        );
      }
      return policyTopic(channel, vehicle);
    });
  const sends = model.operations.filter((o) => o.action === "send").map((o) => o.channelId);
  const receives = model.operations.filter((o) => o.action === "receive");
  const replies = receives.flatMap((o) => (o.reply ? [o.reply.channelId] : []));
  const receive = topicsOf(
    receives.map((o) => o.channelId),
    false,
  );
  return {
    thingNameVariable: THING_NAME_VARIABLE,
    vehicleParameter: vehicle,
    publishTopics: topicsOf([...sends, ...replies], true),
    subscribeTopicFilters: receive,
    receiveTopics: receive,
  };
}
