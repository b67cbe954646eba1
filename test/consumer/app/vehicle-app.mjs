// A vehicle application in a fresh project: installs @v2c/ecu-client from its tarball and runs
// with plain node. Connects to the broker at argv[2], publishes one telemetry message after
// whenReady and prints the publish result (the test expects "acked").
/* global console */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createVehicleClient } from "@v2c/ecu-client";

const [url, server, vehicleId, topicParamsJson] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "vehicle-app-"));
const client = createVehicleClient({
  server,
  vehicleId,
  url,
  topicParams: JSON.parse(topicParamsJson),
  queuePath: join(dir, "queue.db"),
});
try {
  client.start();
  await client.whenReady(5_000);
  const sent = await client.publishTelemetry({});
  console.log(JSON.stringify({ status: sent.status, messageId: sent.messageId }));
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
