import { beforeAll, describe, expect, it } from "vitest";
import { defaultOptions } from "../generator/options.js";
import { generate } from "../generator/pipeline.js";
import { batchOperation, removeRecordOperation, setQos } from "./support/seed-edits.js";
import { specFixture, type SpecFixture } from "./support/spec-fixture.js";

// The client tests generated for a spec whose vehicle sends only batches: they drive the batch
// operation (the run of those tests is in spec-edits.test.ts, "batches only"); what cannot
// apply to the spec's batch stays an `it.todo` with the reason.

/** The seed without its single-message send, optionally with the batch at `qos`. */
async function batchOnlyClientTests(qos?: 0) {
  const fx: SpecFixture = specFixture();
  try {
    removeRecordOperation(fx);
    const { op } = batchOperation(fx);
    if (qos !== undefined) setQos(fx, op, qos);
    const result = await generate({ ...defaultOptions(fx.root), cacheDir: undefined });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const tests = new Map(
      result.files
        .filter((f) => f.path.startsWith("ecu-client/test/"))
        .map((f) => [f.path.slice("ecu-client/test/".length), f.content]),
    );
    return { op, tests };
  } finally {
    fx.cleanup();
  }
}

/** The test file of the client row whose file name ends with `-<slug>.test.ts`. */
function rowTest(tests: Map<string, string>, slug: string): string {
  const hit = [...tests].find(([name]) => name.endsWith(`-${slug}.test.ts`));
  expect(hit, `a test file for ${slug}`).toBeDefined();
  return hit![1];
}

describe("ecu-client tests of a batch-only spec", () => {
  let acked: Awaited<ReturnType<typeof batchOnlyClientTests>>;
  let qos0: Awaited<ReturnType<typeof batchOnlyClientTests>>;
  beforeAll(async () => {
    acked = await batchOnlyClientTests();
    qos0 = await batchOnlyClientTests(0);
  }, 120_000);

  it("leave no test a todo when the batch is QoS 1, and publish through the batch operation", () => {
    const { op, tests } = acked;
    expect(tests.size).toBeGreaterThan(2);
    for (const [name, content] of tests) expect(content, name).not.toContain("it.todo(");
    expect(tests.get("client.test.ts")).toContain(`await client.${op}(`);
    expect(tests.get("client.test.ts")).toContain("await decodeBatch(raw!.payload");
    for (const slug of [
      "network-failure-no-puback",
      "unauthorized-topic-access",
      "message-too-large",
      "network-timeout",
      "iot-core-service-outage",
      "certificate-expired",
    ])
      expect(rowTest(tests, slug)).toContain(`await client.${op}(`);
  });

  it("give the harness a sample of the batch's record message", () => {
    const harness = acked.tests.get("harness.ts")!;
    const type = /export const SAMPLE: (\w+) =/.exec(harness)?.[1];
    expect(type).toBeDefined();
    expect(acked.tests.get("client.test.ts")).toMatch(
      new RegExp(`records\\.map\\(\\(r\\) => ${type!.replace(/Snapshot$/, "")}\\.decode\\(r\\)\\)`),
    );
  });

  it("keep the PUBACK and broker-refusal tests a todo with the reason when the batch is QoS 0", () => {
    const { op, tests } = qos0;
    for (const slug of ["network-failure-no-puback", "unauthorized-topic-access"])
      expect(rowTest(tests, slug)).toContain('it.todo(\n    "no batch operation with QoS >= 1:');
    for (const slug of ["message-too-large", "batch-exceeds-maximum-size"])
      expect(rowTest(tests, slug)).toContain(`the batch operation ${op} is QoS 0`);
    expect(tests.get("client.test.ts")).toContain('[[n, "sent"]]');
    expect(tests.get("client.test.ts")).not.toContain("it.todo(");
  });
});
