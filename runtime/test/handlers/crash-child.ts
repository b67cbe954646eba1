/**
 * A handler process to kill: runs the test spec's handlers on the local adapters (a directory
 * shared with the parent) or the AWS adapters (the parent's dynalite and s3rver), over the
 * rule events in a JSON file, from index `start`. Prints `ready`, then `ack <i>` after event
 * i was handled (the broker's PUBACK point), `nack <i>` when the handler threw.
 * `HANG_IN=<downstream id>` makes that sink print `writing` and never return, so the parent
 * can SIGKILL the process between the claim and the end of the writes. `SLOW_SINK_MS=<n>`
 * makes every sink write print `writing` and take n ms more (random kills then land inside
 * the unit of work more often).
 *
 * Usage: node --import tsx crash-child.ts <events.json> <start> local <directory>
 *        node --import tsx crash-child.ts <events.json> <start> aws <dynamodb url> <s3 url>
 */
import { readFileSync } from "node:fs";
import type { RuleEvent } from "../../src/handlers/event.js";
import type { DownstreamPort } from "../../src/handlers/ports.js";
import { localRig, type Rig } from "./rigs.js";
import { parseBatchTopic } from "./test-spec.js";

const [eventsPath, startArg, mode, a, b] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsPath!, "utf8")) as RuleEvent[];
const hangIn = process.env.HANG_IN;
const slowMs = Number(process.env.SLOW_SINK_MS ?? 0);

function slow(port: DownstreamPort): DownstreamPort {
  const pause = async () => {
    process.stdout.write("writing\n");
    await new Promise((resolve) => setTimeout(resolve, slowMs));
  };
  if (port.kind === "key-value-store") {
    const store = port.store;
    return {
      kind: port.kind,
      store: {
        put: async (r) => (await pause(), store.put(r)),
        batchPut: async (r) => (await pause(), store.batchPut(r)),
        get: (id) => store.get(id),
      },
    };
  }
  const sink = port.sink;
  return { kind: port.kind, sink: { write: async (r) => (await pause(), sink.write(r)) } };
}

function hang(port: DownstreamPort): DownstreamPort {
  const never = () => {
    process.stdout.write("writing\n");
    return new Promise<never>(() => undefined);
  };
  return port.kind === "key-value-store"
    ? {
        kind: port.kind,
        store: { ...port.store, put: never, batchPut: never, get: port.store.get.bind(port.store) },
      }
    : { kind: port.kind, sink: { write: never } };
}

async function build(): Promise<Rig> {
  if (mode === "local") return localRig({ directory: a! });
  // Loaded only in aws mode (a chunk of its own), so a local process starts fast.
  const [{ DynamoDBClient }, { S3Client }, { localClientConfig }, { awsRig }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-s3"),
    import("../support/dynalite.js"),
    import("./aws-rig.js"),
  ]);
  const dynamo = { newClient: () => new DynamoDBClient(localClientConfig(a!)) };
  const s3 = {
    bucket: "dlq",
    client: new S3Client({
      endpoint: b!,
      region: "eu-west-3",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      maxAttempts: 1,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
  };
  return awsRig(dynamo as never, s3 as never);
}

async function main(): Promise<void> {
  const rig = await build();
  const ports = rig.ports.downstreams as Record<string, DownstreamPort>;
  if (hangIn) ports[hangIn] = hang(ports[hangIn]!);
  if (slowMs > 0) for (const id of Object.keys(ports)) ports[id] = slow(ports[id]!);
  process.stdout.write("ready\n");
  for (let i = Number(startArg); i < events.length; i++) {
    const event = events[i]!;
    const handler = parseBatchTopic(event.topic) !== undefined ? rig.batch : rig.record;
    try {
      await handler(event);
      process.stdout.write(`ack ${i}\n`);
    } catch {
      process.stdout.write(`nack ${i}\n`);
    }
  }
  process.stdout.write("finished\n");
}

await main();
