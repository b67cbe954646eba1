/** The base revision of the breaking-change gate, and its contract files extracted from git. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Runs git in `root`; returns trimmed stdout, or undefined when git fails. */
export function git(root: string, args: string[]): string | undefined {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The revision to compare against, in order: `explicit` (a `--base` argument), the
 * `BREAKING_BASE` environment variable, the merge-base with origin/main when that differs from
 * HEAD, else HEAD~1. Returns the commit id, or a notice saying why there is none (not a git
 * checkout, a shallow clone without history, a first commit).
 */
export function resolveBase(
  root: string,
  explicit?: string,
): { commit: string; label: string } | { notice: string } {
  if (git(root, ["rev-parse", "--git-dir"]) === undefined)
    return { notice: `${root} is not a git checkout` };
  const head = git(root, ["rev-parse", "HEAD"]);
  const wanted = explicit ?? process.env.BREAKING_BASE;
  if (wanted) {
    const commit = git(root, ["rev-parse", "--verify", "--quiet", `${wanted}^{commit}`]);
    return commit
      ? { commit, label: wanted }
      : { notice: `base revision ${wanted} is not in this clone` };
  }
  const mergeBase = git(root, ["merge-base", "HEAD", "origin/main"]);
  if (mergeBase && mergeBase !== head)
    return { commit: mergeBase, label: "merge-base(HEAD, origin/main)" };
  const parent = git(root, ["rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"]);
  if (parent) return { commit: parent, label: "HEAD~1" };
  return { notice: "no base revision in this clone (first commit or shallow clone)" };
}

/**
 * Extracts `paths` of `commit` into a fresh temp directory (missing paths are simply absent)
 * and returns it. Works offline on the local history.
 */
export function extractTree(root: string, commit: string, paths: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "v2c-base-"));
  for (const path of paths) {
    const files = git(root, ["ls-tree", "-r", "--name-only", commit, "--", path]);
    if (!files) continue;
    for (const file of files.split("\n")) {
      const blob = spawnSync("git", ["show", `${commit}:./${file}`], { cwd: root });
      if (blob.status !== 0) continue;
      const target = join(dir, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, blob.stdout);
    }
  }
  return dir;
}
