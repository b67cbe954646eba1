// Regenerates every golden case's expected output: `npm run golden`. Review the diff, then commit.
import { formatDiagnostic } from "../../generator/diagnostics.js";
import { writeFiles } from "../../generator/output/write.js";
import { generate } from "../../generator/pipeline.js";
import { caseOptions, goldenCases } from "./cases.js";

for (const name of goldenCases()) {
  const options = caseOptions(name);
  const result = await generate(options);
  for (const d of result.diagnostics) console.error(`${name}: ${formatDiagnostic(d)}`);
  if (!result.ok) {
    console.error(`${name}: generation failed; expected output left as it was`);
    process.exitCode = 1;
    continue;
  }
  const w = writeFiles(options.out, result.files);
  console.log(
    `${name}: ${result.files.length} files (${w.written.length} written, ${w.removed.length} removed)`,
  );
}
