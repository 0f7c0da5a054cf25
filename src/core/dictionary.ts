/** String ↔ dense code dictionary (used for categorical profile fields and for user ids). */
export class Dictionary {
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];

  /** The code for `v`, assigned on first sight. */
  code(v: string): number {
    let c = this.index.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.index.set(v, c);
      this.values.push(v);
    }
    return c;
  }

  /** The code for `v`, or -1 when never seen. */
  lookup(v: string): number {
    return this.index.get(v) ?? -1;
  }

  value(c: number): string {
    const v = this.values[c];
    if (v === undefined) throw new RangeError(`dictionary code ${c} out of range (size ${this.values.length})`);
    return v;
  }

  get size(): number {
    return this.values.length;
  }

  /**
   * Where this dictionary stops extending `before` (its codes 0 .. before.size-1 the same values): the first
   * code whose value differs, `before.size` when this one is shorter, -1 when it extends `before` (stable
   * dense ids, as an append-only source gives).
   */
  firstDifferenceFrom(before: Dictionary): number {
    for (let c = 0; c < before.size; c++) if (this.values[c] !== before.values[c]) return c;
    return -1;
  }

  toArray(): readonly string[] {
    return this.values;
  }

  static from(values: readonly string[]): Dictionary {
    const d = new Dictionary();
    for (const v of values) d.code(v);
    if (d.size !== values.length) throw new Error('duplicate values in dictionary');
    return d;
  }
}
