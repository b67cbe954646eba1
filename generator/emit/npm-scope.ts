import type { GeneratedFile } from "./types.js";

/** The scope emitters write generated package names in; `x-v2c.npm-scope` replaces it. */
export const EMITTED_SCOPE = "@v2c";

/**
 * Renames the generated packages into the spec's npm scope (`x-v2c.npm-scope`). The emitters
 * name packages `@v2c/<dir>`; this rewrites exactly those names (each `<dir>/package.json` the
 * run emitted), wherever they are referenced: manifests, imports, READMEs. The toolchain's own
 * runtime package is not a generated package and keeps its name.
 */
export function applyNpmScope(files: GeneratedFile[], scope: string): GeneratedFile[] {
  if (scope === EMITTED_SCOPE) return files;
  const names = files
    .filter((f) => /^[^/]+\/package\.json$/.test(f.path))
    .map((f) => (JSON.parse(f.content) as { name?: string }).name)
    .filter((n): n is string => typeof n === "string" && n.startsWith(`${EMITTED_SCOPE}/`))
    .map((n) => n.slice(EMITTED_SCOPE.length + 1));
  if (names.length === 0) return files;
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")).join("|");
  // A whole name: not followed by a character a package name could continue with.
  const pattern = new RegExp(`${EMITTED_SCOPE}/(${escaped})(?![\\w.-]*[\\w-])`, "g");
  return files.map((f) => {
    const content = f.content.replace(pattern, (_m, n: string) => `${scope}/${n}`);
    return content === f.content ? f : { ...f, content };
  });
}
