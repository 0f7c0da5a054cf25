/** Searches in ascending typed arrays. */

/**
 * The position `x` has or would take in the ascending run a[from .. to) (the whole array by default): `from`
 * plus the number of its entries below `x`.
 */
export function lowerBound(a: ArrayLike<number>, x: number, from = 0, to = a.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether the ascending array `a` holds `x`. */
export function containsSorted(a: ArrayLike<number>, x: number): boolean {
  const i = lowerBound(a, x);
  return i < a.length && a[i] === x;
}
