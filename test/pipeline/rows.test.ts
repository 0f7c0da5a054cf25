/** The incremental stages' row helpers (stages/rows.ts): patching rows from two sources and finding rows that differ. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markChangedRows, markedUsers, patchRows } from '../../src/pipeline/stages/rows.js';

/** Rows of `lists` (one per user) in CSR form, with a float column 10× the ids. */
function rowsOf(lists: number[][]): { offsets: Int32Array; cols: { id: Int32Array; x: Float32Array } } {
  const offsets = Int32Array.from([0, ...lists.map((_, i) => lists.slice(0, i + 1).reduce((a, l) => a + l.length, 0))]);
  const flat = lists.flat();
  return { offsets, cols: { id: Int32Array.from(flat), x: Float32Array.from(flat.map((v) => v * 10)) } };
}
const listsOf = (r: ReturnType<typeof rowsOf>): number[][] => Array.from({ length: r.offsets.length - 1 }, (_, u) => Array.from(r.cols.id.subarray(r.offsets[u], r.offsets[u + 1])));

test('patchRows takes marked users from the fresh rows and the others from the earlier ones, in user order', () => {
  const prev = rowsOf([[1, 2], [3], [], [4, 5, 6]]);
  // Fresh rows for users 0..4 (user 4 is new); unmarked users' fresh rows are ignored.
  const fresh = rowsOf([[9], [99, 98], [7, 7, 7], [], [8]]);
  const marked = Uint8Array.from([0, 1, 1, 0, 1]);
  const out = patchRows(marked, 0, 5, fresh, prev, ['id', 'x'] as const);
  assert.deepEqual(listsOf({ offsets: out.offsets, cols: out.cols }), [[1, 2], [99, 98], [7, 7, 7], [4, 5, 6], [8]]);
  assert.deepEqual(Array.from(out.cols.x), [10, 20, 990, 980, 70, 70, 70, 40, 50, 60, 80]);
  // A range lo..hi: fresh indexed from lo, offsets from 0.
  const part = patchRows(marked, 1, 4, rowsOf([[99, 98], [7, 7, 7], []]), prev, ['id'] as const);
  assert.deepEqual(Array.from(part.offsets), [0, 2, 5, 8]);
  assert.deepEqual(Array.from(part.cols.id), [99, 98, 7, 7, 7, 4, 5, 6]);
});

test('markChangedRows marks users whose row differs in length or in any bit of any column, and not users beyond the earlier rows', () => {
  const prev = rowsOf([[1, 2], [3], [], [4, 5, 6]]);
  const cur = rowsOf([[1, 2], [3, 4], [], [4, 5, 6], [7]]);
  cur.cols.x[6] = -0; // user 3's last x: 60 → -0
  const marked = new Uint8Array(5);
  assert.equal(markChangedRows(marked, prev, cur, ['id', 'x']), 2);
  assert.deepEqual(Array.from(markedUsers(marked)), [1, 3]);
  const z = rowsOf([[0]]);
  const negZero = rowsOf([[0]]);
  negZero.cols.x[0] = -0;
  assert.equal(markChangedRows(new Uint8Array(1), z, negZero, ['x']), 1, '0 and -0 differ bit for bit');
  assert.equal(markChangedRows(Uint8Array.of(1), z, negZero, ['x']), 0, 'a marked user is not counted again');
});
