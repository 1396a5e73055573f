/**
 * Symbols interned to small integers once at start-up, in configuration order. Every actor builds the same
 * table from the same configuration, so a symbol id in a hot message means the same thing everywhere.
 */
export class SymbolTable {
  private readonly ids = new Map<string, number>();
  readonly names: readonly string[];

  constructor(names: readonly string[]) {
    if (names.length > 65535) throw new RangeError('at most 65535 symbols (16-bit ids)');
    this.names = [...names];
    this.names.forEach((n, i) => {
      if (this.ids.has(n)) throw new Error(`symbol ${n} listed twice`);
      this.ids.set(n, i);
    });
  }

  get size(): number {
    return this.names.length;
  }

  /** The symbol's id, or -1 when it is not configured (callers count and drop unknown symbols). */
  id(symbol: string): number {
    return this.ids.get(symbol) ?? -1;
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new RangeError(`unknown symbol id ${id}`);
    return n;
  }
}
