import type { EmitContext, GeneratedFile } from "../types.js";
import { emitInfraPackage } from "./package.js";
import { emitAlarmDefinitions, emitInfraSpec } from "./spec-data.js";
import { emitStaticFiles } from "./static-files.js";
import { emitInfraTests } from "./tests.js";

/** Every file of `generated/infra` (`@v2c/infra`): the CDK construct library, its app and tests. */
export function emitInfra(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  return [
    ...emitInfraPackage(ctx, templatesRoot),
    emitInfraSpec(ctx, templatesRoot),
    emitAlarmDefinitions(ctx, templatesRoot),
    ...emitStaticFiles(ctx, templatesRoot),
    ...emitInfraTests(ctx, templatesRoot),
  ];
}
