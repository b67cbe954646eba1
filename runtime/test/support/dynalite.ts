import { createRequire } from "node:module";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from "@aws-sdk/client-dynamodb";

// dynalite ships no types; it returns an http.Server.
const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;

/** A table to create: name and string partition key. */
export interface TableSpec {
  readonly name: string;
  readonly partitionKey: string;
}

/** A running dynalite and a client pointed at it. */
export interface DynaliteHandle {
  readonly endpoint: string;
  readonly port: number;
  /** A client with fake credentials, no SDK retries and short timeouts. */
  readonly client: DynamoDBClient;
  /** Another client for the same server (each test can add its own middleware). */
  newClient(overrides?: Partial<DynamoDBClientConfig>): DynamoDBClient;
  close(): Promise<void>;
}

/** Fake credentials and short timeouts shared by every local client. */
export function localClientConfig(endpoint: string): DynamoDBClientConfig {
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // The runtime's RetryPolicy is the only retry layer under test.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 300, requestTimeout: 2_000, throwOnRequestTimeout: true },
  };
}

/**
 * Starts dynalite in-process on a free port (the server listens on port 0) with an in-memory
 * store, creates `tables`, and returns a DynamoDBClient for it.
 */
export async function startDynalite(tables: readonly TableSpec[]): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const newClient = (overrides: Partial<DynamoDBClientConfig> = {}) =>
    new DynamoDBClient({ ...localClientConfig(endpoint), ...overrides });
  const client = newClient();
  for (const table of tables) {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        AttributeDefinitions: [{ AttributeName: table.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: table.partitionKey, KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  }
  return {
    endpoint,
    port,
    client,
    newClient,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
