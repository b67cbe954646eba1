/** How one PUBLISH names its topic on the wire. */
export interface WireTopic {
  /** The topic string to put in the packet ("" when the alias alone names it). */
  readonly topic: string;
  /** The Topic Alias property, when one is used. */
  readonly alias: number | undefined;
}

/**
 * MQTT 5 topic aliases for the sending direction.
 *
 * The spec assigns a fixed alias number per topic (e.g. telemetry → 1, batch → 2), but an alias
 * only exists on the connection where a PUBLISH carried topic + alias together; a new
 * connection starts with none. So after every (re)connect `reset` is called with the broker's
 * CONNACK Topic Alias Maximum, the first publish per topic carries topic + alias again, and
 * later ones carry the alias alone. An alias above the broker's maximum (or a maximum of 0)
 * falls back to the full topic without alias: sending it would make the broker disconnect us
 * (and MQTT.js would leave the publish pending forever).
 */
export class TopicAliasManager {
  private maximum = 0;
  /** alias → topic bound on the current connection. */
  private readonly bound = new Map<number, string>();

  /** Forgets all aliases; `topicAliasMaximum` is the CONNACK value (absent means 0). */
  reset(topicAliasMaximum: number | undefined): void {
    this.maximum = topicAliasMaximum ?? 0;
    this.bound.clear();
  }

  /** The broker's Topic Alias Maximum on this connection. */
  get brokerMaximum(): number {
    return this.maximum;
  }

  /** Whether `alias` can be used on this connection at all. */
  usable(alias: number | undefined): alias is number {
    return alias !== undefined && Number.isInteger(alias) && alias >= 1 && alias <= this.maximum;
  }

  /** The wire form for a publish, without changing state (call `commit` once it is written). */
  plan(topic: string, alias: number | undefined): WireTopic {
    if (!this.usable(alias)) return { topic, alias: undefined };
    if (this.bound.get(alias) === topic) return { topic: "", alias };
    // First use on this connection, or the alias was bound to another topic: (re)bind it.
    return { topic, alias };
  }

  /** Records that a PUBLISH with this wire form was written to the connection. */
  commit(topic: string, wire: WireTopic): void {
    if (wire.alias !== undefined && wire.topic !== "") this.bound.set(wire.alias, topic);
  }

  /** The worst-case wire form (topic + alias): what size checks measure. */
  widest(topic: string, alias: number | undefined): WireTopic {
    return { topic, alias: alias !== undefined && alias >= 1 ? alias : undefined };
  }
}
