import { describe, expect, it } from "vitest";
import { TopicAliasManager, publishPacketSize, topicMatches } from "../../src/client/index.js";
import { batchTopic, telemetryTopic } from "./helpers.js";

describe("TopicAliasManager", () => {
  it("sends topic + alias first, then the alias alone, and starts over after a reconnect", () => {
    const m = new TopicAliasManager();
    m.reset(10);
    const t = telemetryTopic();
    const first = m.plan(t, 1);
    expect(first).toEqual({ topic: t, alias: 1 });
    m.commit(t, first);
    expect(m.plan(t, 1)).toEqual({ topic: "", alias: 1 });
    m.reset(10); // new connection: aliases are per connection
    expect(m.plan(t, 1)).toEqual({ topic: t, alias: 1 });
  });

  it("falls back to the full topic when the broker's maximum is lower than the alias, or 0", () => {
    const m = new TopicAliasManager();
    m.reset(1);
    expect(m.plan(batchTopic(), 2)).toEqual({ topic: batchTopic(), alias: undefined });
    m.reset(0);
    expect(m.plan(telemetryTopic(), 1)).toEqual({ topic: telemetryTopic(), alias: undefined });
    m.reset(undefined);
    expect(m.plan(telemetryTopic(), 1)).toEqual({ topic: telemetryTopic(), alias: undefined });
  });

  it("re-binds an alias used for another topic", () => {
    const m = new TopicAliasManager();
    m.reset(5);
    const a = m.plan("a/b", 3);
    m.commit("a/b", a);
    expect(m.plan("c/d", 3)).toEqual({ topic: "c/d", alias: 3 });
  });

  it("the alias saves the topic bytes on the wire (exact packet sizes)", () => {
    const t = telemetryTopic();
    const payload = Buffer.alloc(300);
    const full = publishPacketSize({ topic: t, alias: undefined }, payload);
    const aliasOnly = publishPacketSize({ topic: "", alias: 1 }, payload);
    // The seed calls this topic 54 bytes; it is 56. They are replaced by the Topic Alias
    // property (1 id byte + 2 bytes) while the empty topic keeps its 2-byte length: 53 saved.
    expect(t.length).toBe(56);
    expect(full - aliasOnly).toBe(t.length - 3);
    // fixed header (1 + 2-byte remaining length) + topic (2 + 56) + packet id (2) + props length (1) + payload
    expect(full).toBe(1 + 2 + 2 + t.length + 2 + 1 + 300);
  });
});

describe("topicMatches", () => {
  it("handles + and #", () => {
    expect(topicMatches("v2c/v1/+/VIN/command", "v2c/v1/us-east-1/VIN/command")).toBe(true);
    expect(topicMatches("v2c/#", "v2c/v1/x")).toBe(true);
    expect(topicMatches("v2c/v1/+/VIN/command", "v2c/v1/us-east-1/OTHER/command")).toBe(false);
    expect(topicMatches("a/b", "a/b/c")).toBe(false);
  });
});
