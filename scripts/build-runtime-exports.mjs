// Writes the `exports` map of runtime/package.json from the runtime's named public API below:
// each entry point gets `v2c-source` (the TypeScript source, used inside this repository only
// via the custom condition), `types` (.d.ts) and `import` (compiled ESM) conditions. There is
// no `./*`: a module not listed is internal. `node scripts/build-runtime-exports.mjs` after
// changing the list; `--check` fails when package.json differs.
/* global console, URL */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";

/** The runtime's public entry points, by area (module paths under runtime/src, no extension). */
export const ENTRY_POINTS = {
  shared: ["index", "constraints", "policy", "spec-types", "topic-template", "deploy-env"],
  vehicle: ["client/index"],
  cloud: [
    "cloud/index",
    "cloud/circuit-breaker",
    "cloud/dlq-entry",
    "cloud/dynamodb-dedup-store",
    "cloud/failed-invocations",
    "cloud/sqs-failed-invocations",
    "handlers/index",
    "handlers/aws-ports",
    "handlers/breakers",
    "handlers/codec",
    "handlers/event",
    "handlers/failure",
    "handlers/handlers",
    "handlers/local-ports",
    "handlers/metric-roles",
    "handlers/policy",
    "handlers/ports",
    "handlers/reasons",
    "handlers/redrive",
    "handlers/replay",
    "portable-zstd",
    "commander/index",
  ],
  local: [
    "local/broker-config",
    "local/cli-local",
    "local/cli-operator",
    "local/cli-simulate",
    "local/fleet-types",
    "local/local-alarms",
    "local/local-app",
    "local/local-flow",
    "local/rules-engine",
  ],
  testing: ["handlers/testing/index", "testing/index"],
};

/** `client/index` is also reachable as `./client` (and so on for every `<dir>/index`). */
function subpaths(module) {
  const names = [module === "index" ? "." : `./${module}`];
  if (module.endsWith("/index")) names.push(`./${module.slice(0, -"/index".length)}`);
  return names;
}

export function exportsMap() {
  const map = {};
  for (const module of Object.values(ENTRY_POINTS).flat().sort()) {
    const target = {
      "v2c-source": `./src/${module}.ts`,
      types: `./dist/src/${module}.d.ts`,
      import: `./dist/src/${module}.js`,
    };
    for (const name of subpaths(module)) map[name] = target;
  }
  // Inside this repository only (the v2c-source condition): any module, for code being written.
  // Installed packages have no condition that matches it, so internals stay unreachable.
  map["./*"] = { "v2c-source": "./src/*.ts" };
  map["./package.json"] = "./package.json";
  return map;
}

const path = new URL("../runtime/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(path, "utf8"));
const next = { ...pkg, exports: exportsMap() };
const text = `${JSON.stringify(next, null, 2)}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(path, "utf8") !== text) {
    console.error(
      "runtime/package.json exports are stale: run node scripts/build-runtime-exports.mjs",
    );
    process.exit(1);
  }
} else writeFileSync(path, text);
