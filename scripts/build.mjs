// `npm run build`: compiles the runtime and every generated package to dist/ (ESM + .d.ts) in
// dependency order (a package's tsconfig.build.json resolves its workspace dependencies to
// their built .d.ts). Plain JavaScript: runs before anything is compiled.
/* global console */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import process from "node:process";

const ROOT = resolve(import.meta.dirname, "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** Workspace folders that have a tsconfig.build.json, with their package names and deps. */
function packages() {
  const dirs = [join(ROOT, "runtime")];
  const generated = join(ROOT, "generated");
  if (existsSync(generated)) {
    for (const d of readdirSync(generated).sort()) dirs.push(join(generated, d));
  }
  return dirs
    .filter((d) => existsSync(join(d, "tsconfig.build.json")))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
      return { dir, name: pkg.name, deps };
    });
}

/** Dependencies first; a cycle is an error. */
function order(list) {
  const byName = new Map(list.map((p) => [p.name, p]));
  const done = new Set();
  const out = [];
  const visit = (p, path) => {
    if (done.has(p.name)) return;
    if (path.includes(p.name))
      throw new Error(`dependency cycle: ${[...path, p.name].join(" -> ")}`);
    for (const d of p.deps) if (byName.has(d)) visit(byName.get(d), [...path, p.name]);
    done.add(p.name);
    out.push(p);
  };
  for (const p of list) visit(p, []);
  return out;
}

const only = process.argv.slice(2);
for (const p of order(packages())) {
  if (only.length > 0 && !only.includes(p.name)) continue;
  const started = Date.now();
  rmSync(join(p.dir, "dist"), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [TSC, "-p", "tsconfig.build.json"], {
    cwd: p.dir,
    stdio: "inherit",
  });
  if (r.status !== 0) {
    console.error(`build: ${p.name} (${relative(ROOT, p.dir)}) failed`);
    process.exit(r.status ?? 1);
  }
  console.log(
    `build: ${p.name} -> ${relative(ROOT, join(p.dir, "dist"))} (${Date.now() - started} ms)`,
  );
}
