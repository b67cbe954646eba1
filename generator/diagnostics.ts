/** A problem found in the spec sources, with the place it was found. */
export interface Diagnostic {
  readonly severity: "error" | "warning";
  /** Path relative to the spec root, e.g. `fmea/failure-modes.yaml`. */
  readonly file: string;
  /** 1-based line and column; 0 when the problem concerns the whole file. */
  readonly line: number;
  readonly column: number;
  /** A stable code for tests and suppression, e.g. `fmea/unknown-metric`. */
  readonly code: string;
  readonly message: string;
}

/** Collects diagnostics from every stage so that all of them are reported at once. */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];

  /** Records an error at a location. */
  error(file: string, pos: Position, code: string, message: string): void {
    this.items.push({ severity: "error", file, line: pos.line, column: pos.column, code, message });
  }

  /** Records a warning at a location. */
  warning(file: string, pos: Position, code: string, message: string): void {
    this.items.push({
      severity: "warning",
      file,
      line: pos.line,
      column: pos.column,
      code,
      message,
    });
  }

  /** Adds already-built diagnostics (from a sub-loader). */
  addAll(diagnostics: readonly Diagnostic[]): void {
    this.items.push(...diagnostics);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  /** All diagnostics, sorted by file, line, column, then message, for stable output. */
  sorted(): Diagnostic[] {
    return [...this.items].sort(
      (a, b) =>
        a.file.localeCompare(b.file) ||
        a.line - b.line ||
        a.column - b.column ||
        a.message.localeCompare(b.message),
    );
  }
}

/** A 1-based line/column pair. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export const NO_POSITION: Position = { line: 0, column: 0 };

/** Formats one diagnostic as `file:line:col: severity: message [code]`, the shape editors link. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `${where}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** Thrown by the pipeline when the sources have errors; carries every diagnostic found. */
export class SpecError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(
      `${errors.length} error(s) in the spec sources:\n${errors.map(formatDiagnostic).join("\n")}`,
    );
    this.name = "SpecError";
  }
}
