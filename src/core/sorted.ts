/** Searches in ascending typed arrays. */

/** Number of entries of the ascending array `a` below `x` (the position `x` has or would take). */
export function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
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
