import { relative } from "node:path";
import { formatDiagnostic } from "./diagnostics.js";
import { parseArgs, USAGE, UsageError } from "./options.js";
import { computeDrift, formatDrift, isClean } from "./output/check.js";
import { writeFiles } from "./output/write.js";
import { generate } from "./pipeline.js";

/** The `v2c-gen` command: generate (default) or --check. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`v2c-gen: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const result = await generate(options);
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    process.stderr.write(
      `v2c-gen: ${errors} problem(s) in the spec sources; nothing was written.\n`,
    );
    return 1;
  }
  const outLabel = relative(process.cwd(), options.out) || ".";
  if (options.check) {
    const drift = computeDrift(options.out, result.files);
    if (!isClean(drift)) {
      process.stderr.write(`${formatDrift(drift, outLabel, "npm run generate")}\n`);
      return 1;
    }
    process.stdout.write(`v2c-gen: ${outLabel}/ is up to date (${result.files.length} files).\n`);
    return 0;
  }
  const w = writeFiles(options.out, result.files);
  process.stdout.write(
    `v2c-gen: ${result.files.length} files in ${outLabel}/ (${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged).\n`,
  );
  return 0;
}

/**
 * The message for an exception no stage turned into a diagnostic: a toolchain bug, never the
 * spec's fault. No stack trace unless V2C_DEBUG is set; how to report it instead.
 */
export function internalErrorMessage(e: unknown, debug = Boolean(process.env.V2C_DEBUG)): string {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const detail = debug && e instanceof Error && e.stack ? `\n${e.stack}` : "";
  return (
    `v2c-gen: internal error: ${what}${detail}\n` +
    "v2c-gen: this is a bug in the generator, not a problem in your spec. Please report it with\n" +
    "v2c-gen: the command line, the spec sources and the output of the run with V2C_DEBUG=1.\n"
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(internalErrorMessage(e));
    process.exitCode = 3;
  },
);
