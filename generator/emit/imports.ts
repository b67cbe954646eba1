/**
 * Collects the symbols a generated TypeScript file imports, so templates never type an import
 * line: emitters call `use()` while building the view, and the header partial prints the result.
 */
export class ImportCollector {
  private readonly modules = new Map<string, Map<string, boolean>>();

  /** Records that `symbol` is imported from `module` (`typeOnly` for `import type`). */
  use(module: string, symbol: string, typeOnly = false): string {
    const symbols = this.modules.get(module) ?? new Map<string, boolean>();
    // A symbol used as a value anywhere must be a value import.
    symbols.set(symbol, (symbols.get(symbol) ?? true) && typeOnly);
    this.modules.set(module, symbols);
    return symbol;
  }

  /** Import statements, sorted by module then symbol, for deterministic output. */
  lines(): string[] {
    return [...this.modules.keys()].sort().map((module) => {
      const symbols = this.modules.get(module)!;
      const names = [...symbols.keys()].sort();
      const allTypes = names.every((n) => symbols.get(n));
      const list = names.map((n) => (!allTypes && symbols.get(n) ? `type ${n}` : n)).join(", ");
      return `import ${allTypes ? "type " : ""}{ ${list} } from "${module}";`;
    });
  }
}
