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

/**
 * Collects diagnostics from every stage so that all of them are reported at once. A position
 * is read when the diagnostics are (`sorted()`), not when one is recorded: a YAML position may
 * be lazy (load/yaml-source.ts), computed in a worker thread while the run goes on.
 */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];

  /** Records an error at a location. */
  error(file: string, pos: Position, code: string, message: string): void {
    this.items.push(recorded("error", file, pos, code, message));
  }

  /** Records a warning at a location. */
  warning(file: string, pos: Position, code: string, message: string): void {
    this.items.push(recorded("warning", file, pos, code, message));
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
    return this.items
      .map((d) => ({ ...d }))
      .sort(
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

/** A diagnostic whose line and column are read from `pos` when asked. */
function recorded(
  severity: Diagnostic["severity"],
  file: string,
  pos: Position,
  code: string,
  message: string,
): Diagnostic {
  return {
    severity,
    file,
    get line() {
      return pos.line;
    },
    get column() {
      return pos.column;
    },
    code,
    message,
  };
}

/**
 * A position computed by `compute` the first time its line or column is read (then kept): what
 * a YAML source's `locate` returns, so that finding where a value is waits for nobody until a
 * diagnostic is reported.
 */
export function lazyPosition(compute: () => Position): Position {
  let pos: Position | undefined;
  const get = () => (pos ??= compute());
  return {
    get line() {
      return get().line;
    },
    get column() {
      return get().column;
    },
  };
}

/** `{ file, line, column }` with the line and column read from `pos` when asked. */
export function fileLocation(
  file: string,
  pos: Position,
): { readonly file: string; readonly line: number; readonly column: number } {
  return {
    file,
    get line() {
      return pos.line;
    },
    get column() {
      return pos.column;
    },
  };
}

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
