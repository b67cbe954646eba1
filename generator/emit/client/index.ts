import type { PackageVersions } from "../spec/package.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { emitBatchCodec } from "./batch-codec.js";
import { emitClientClass } from "./client.js";
import { emitClientConfig } from "./config.js";
import { emitClientPackage } from "./package.js";
import { emitClientTests } from "./tests.js";

/** The `@v2c/ecu-client` package: typed vehicle client, its config, and one test per client failure mode. */
export function emitClient(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const codec = emitBatchCodec(ctx, templatesRoot);
  return [
    ...emitClientPackage(ctx, templatesRoot, versions),
    emitClientConfig(ctx, templatesRoot),
    emitClientClass(ctx, templatesRoot),
    ...(codec ? [codec] : []),
    ...emitClientTests(ctx, templatesRoot),
  ];
}
