/**
 * `npm run docs`: renders every generated PlantUML diagram (generated/docs/*.puml) to SVG in
 * generated/docs/render/. That folder is gitignored and skipped by the drift check, because
 * the rendered bytes depend on the PlantUML version. Needs `plantuml` on PATH
 * (Debian: `apt-get install plantuml`). Exits non-zero when PlantUML reports an error.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const DOCS = resolve(import.meta.dirname, "..", "generated", "docs");
const RENDER = join(DOCS, "render");

/** Renders the diagrams and returns the process exit code. */
function main(): number {
  const diagrams = readdirSync(DOCS)
    .filter((f) => f.endsWith(".puml"))
    .sort()
    .map((f) => join(DOCS, f));
  if (diagrams.length === 0) {
    process.stderr.write(
      `render-docs: no .puml file in ${DOCS}; run \`npm run generate\` first.\n`,
    );
    return 1;
  }
  mkdirSync(RENDER, { recursive: true });
  const run = spawnSync("plantuml", ["-tsvg", "-failfast2", "-o", RENDER, ...diagrams], {
    stdio: "inherit",
  });
  if (run.error) {
    process.stderr.write(
      `render-docs: cannot run plantuml (${run.error.message}); install it with \`apt-get install plantuml\`.\n`,
    );
    return 1;
  }
  if (run.status !== 0) {
    process.stderr.write(`render-docs: plantuml exited with ${run.status}.\n`);
    return run.status ?? 1;
  }
  for (const d of diagrams) process.stdout.write(`render-docs: ${d} -> ${RENDER}\n`);
  return 0;
}

process.exitCode = main();
