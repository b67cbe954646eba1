/** A command-line option: name (without `--`), default and help text. */
export interface OptionSpec {
  readonly name: string;
  readonly default: string | number | boolean | undefined;
  readonly help: string;
}

/** A bad command line (printed as one line with the usage hint). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses `--name value` / `--flag` arguments against `specs`; positional words are returned too. */
export function parseArgs(
  argv: readonly string[],
  specs: readonly OptionSpec[],
): { values: Record<string, string | number | boolean | undefined>; positional: string[] } {
  const values: Record<string, string | number | boolean | undefined> = {};
  for (const s of specs) values[s.name] = s.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [rawName, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    const spec = specs.find((s) => s.name === rawName);
    if (!spec) throw new UsageError(`unknown option --${rawName} (see --help)`);
    if (typeof spec.default === "boolean") {
      values[spec.name] = inline === undefined ? true : inline !== "false";
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${rawName} needs a value`);
    if (typeof spec.default === "number") {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--${rawName} must be a number, got ${v}`);
      values[spec.name] = n;
    } else values[spec.name] = v;
  }
  return { values, positional };
}

/** The help text of a command. */
export function usage(command: string, summary: string, specs: readonly OptionSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  return [
    `usage: ${command}`,
    summary,
    "",
    ...specs.map(
      (s) =>
        `  --${s.name.padEnd(width)}${s.help}${s.default !== undefined && s.default !== false ? ` (default ${String(s.default)})` : ""}`,
    ),
  ].join("\n");
}

/** Comma-separated seconds (`5,20`) → milliseconds. */
export function secondsList(value: unknown): number[] {
  if (value === undefined || value === "" || value === false) return [];
  return String(value)
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n >= 0)
    .map((s) => s * 1000);
}
