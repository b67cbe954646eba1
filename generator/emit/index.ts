import { emitClient } from "./client/index.js";
import { emitCommands } from "./commands/index.js";
import { emitDocs } from "./docs/index.js";
import { emitHandlers } from "./handlers/index.js";
import { emitFmeaTests } from "./handlers/fmea-tests.js";
import { emitInfra } from "./infra/index.js";
import { emitConstraints } from "./spec/constraints.js";
import { emitContract } from "./spec/contract.js";
import { emitFmea } from "./spec/fmea.js";
import { emitObservability } from "./spec/observability.js";
import { emitSpecPackage, type PackageVersions } from "./spec/package.js";
import { emitSpecTests } from "./spec/tests.js";
import { emitTopics } from "./spec/topics.js";
import { emitLocal } from "./local/index.js";
import { applyNpmScope } from "./npm-scope.js";
import { emitRunbooks } from "./runbooks/index.js";
import { emitTraceability } from "./traceability/matrix.js";
import type { EmitContext, GeneratedFile } from "./types.js";

/** Runs every emitter; paths are relative to generated/. Duplicate paths are an emitter bug. */
export function emitAll(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const files = [
    ...emitSpecPackage(ctx, templatesRoot, versions),
    emitTopics(ctx, templatesRoot),
    emitContract(ctx, templatesRoot),
    emitFmea(ctx, templatesRoot),
    emitObservability(ctx, templatesRoot),
    emitConstraints(ctx, templatesRoot),
    emitSpecTests(ctx, templatesRoot),
    ...emitDocs(ctx, templatesRoot),
    ...emitInfra(ctx, templatesRoot),
    ...emitHandlers(ctx, templatesRoot, versions),
    ...emitFmeaTests(ctx, templatesRoot),
    ...emitClient(ctx, templatesRoot, versions),
    ...emitCommands(ctx, templatesRoot, versions),
  ];
  files.push(...emitLocal(ctx, templatesRoot, versions));
  files.push(emitRunbooks(ctx.model, templatesRoot));
  // Late emitter: the matrix reads the traces the others attached to their files.
  files.push(emitTraceability(ctx.model, files, templatesRoot));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two emitters produced ${f.path}`);
    seen.add(f.path);
  }
  return applyNpmScope(files, ctx.model.platform.npmScope ?? "@v2c");
}
