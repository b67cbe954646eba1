// Type-checked by the consumer test with strict, exactOptionalPropertyTypes and NodeNext
// resolution against the installed packages' .d.ts (never their sources).
import { createVehicleClient, type VehicleClientConfig } from "@v2c/ecu-client";
import { createLocalHandlers } from "@v2c/handlers/local";
import { deployEnvName } from "@v2c/runtime/deploy-env";
import { ruleSql, type RuleEvent } from "@v2c/runtime/handlers/event";

export function build(config: VehicleClientConfig): ReturnType<typeof createVehicleClient> {
  return createVehicleClient(config);
}

export async function handle(event: RuleEvent, directory: string): Promise<number> {
  const handlers = createLocalHandlers({ directory });
  try {
    const first = Object.values(handlers.byOperation)[0];
    return first ? (await first(event)).stored : 0;
  } finally {
    handlers.close();
  }
}

export const sql: string = ruleSql("a/+/b");
export const env: string = deployEnvName("store", "bucket");
