/** Small helpers shared by the embedding benchmarks: command-line values and summary statistics. */

/** The value after --name, or the default. */
export function argValue(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** Numeric options given as --<key> <number> for keys of `defaults` ('fanouts' as --fanouts 25,10; booleans as 0/1). */
export function cliOverrides<T extends object>(defaults: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) {
    const i = process.argv.indexOf(`--${k}`);
    if (i < 0) continue;
    const s = process.argv[i + 1];
    if (Array.isArray(v)) out[k] = s.split(',').map(Number);
    else if (typeof v === 'boolean') out[k] = s === '1' || s === 'true';
    else out[k] = Number(s);
  }
  return out as Partial<T>;
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / Math.max(1, xs.length));
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Peak resident memory of this process so far, GiB. */
export function peakRssGiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 2 ** 20) * 100) / 100;
}
