import { describe, expect, it } from "vitest";
import { TopicParameterError, TopicTemplate } from "../src/topic-template.js";

const t = new TopicTemplate<{ region: string; vehicle_id: string }>(
  "vehicleTelemetry",
  "v2c/v1/{region}/{vehicle_id}/telemetry/vehicle",
  {
    region: { enum: ["us-east-1", "eu-west-1"] },
    vehicle_id: { pattern: "^VIN-[A-HJ-NPR-Z0-9]{17}$" },
  },
);

describe("TopicTemplate", () => {
  it("builds and parses a topic", () => {
    const topic = t.build({ region: "eu-west-1", vehicle_id: "VIN-1HGBH41JXMN109186" });
    expect(topic).toBe("v2c/v1/eu-west-1/VIN-1HGBH41JXMN109186/telemetry/vehicle");
    expect(t.parse(topic)).toEqual({ region: "eu-west-1", vehicle_id: "VIN-1HGBH41JXMN109186" });
    expect(t.filter).toBe("v2c/v1/+/+/telemetry/vehicle");
  });

  it("rejects a value outside the enum or pattern, and MQTT wildcards", () => {
    expect(() => t.build({ region: "mars-1", vehicle_id: "VIN-1HGBH41JXMN109186" })).toThrow(
      TopicParameterError,
    );
    expect(() => t.build({ region: "us-east-1", vehicle_id: "VIN-1HGBH41JXMN10918I" })).toThrow(
      /vehicle_id/,
    );
    expect(() => t.build({ region: "us-east-1", vehicle_id: "+" })).toThrow(TopicParameterError);
  });

  it("parses only topics of its own shape with valid parameters", () => {
    expect(t.parse("v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/batch")).toBeUndefined();
    expect(t.parse("v2c/v1/ap-south-1/VIN-1HGBH41JXMN109186/telemetry/vehicle")).toBeUndefined();
    expect(t.parse("v2c/v1/us-east-1/VIN-1/telemetry/vehicle")).toBeUndefined();
  });
});
