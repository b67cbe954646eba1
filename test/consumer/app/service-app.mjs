// A cloud-side service in a fresh project: installs @v2c/handlers from its tarball and invokes
// a record handler on the local adapters (SQLite, filesystem DLQ) with plain node. argv[2] is
// a JSON rule event; prints the handler's summary.
/* global console */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createLocalHandlers } from "@v2c/handlers/local";

const [operation, eventJson] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "service-app-"));
const handlers = createLocalHandlers({ directory: dir });
try {
  const handler = handlers.byOperation[operation];
  if (!handler) throw new Error(`no handler for ${operation}`);
  const event = JSON.parse(eventJson);
  const first = await handler(event);
  const again = await handler(event);
  console.log(JSON.stringify({ first, again }));
} finally {
  handlers.close();
  rmSync(dir, { recursive: true, force: true });
}
