/** The incremental stages' row helpers (stages/rows.ts): patching rows from two sources and finding rows that differ. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeArrays, encodeArrays } from '../../src/bundle/binary.js';
import { Rng } from '../../src/core/rng.js';
import { markChangedRows, markedUsers, patchedChunks, patchedOffsets, patchRows, patchRuns } from '../../src/pipeline/stages/rows.js';

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

/** The file patchedChunks streams, as one buffer (each chunk copied: the writer reuses its buffer). */
async function streamed(
  runs: Int32Array,
  fresh: Record<string, Int32Array | Float32Array>,
  prev: Record<string, Int32Array | Float32Array>,
  names: string[],
  lead?: Record<string, Int32Array | Float32Array>,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of patchedChunks(runs, fresh, prev, names, lead)) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Earlier rows for users 0..n0-1 and fresh rows (only marked users') for 0..n-1, random lengths 0..maxLen. */
function world(rng: Rng, n0: number, n: number, marked: Uint8Array, maxLen: number): { prev: ReturnType<typeof rowsOf>; fresh: ReturnType<typeof rowsOf> } {
  const prev = rowsOf(Array.from({ length: n0 }, (_, u) => Array.from({ length: rng.int(maxLen + 1) }, (_, i) => u * 1000 + i)));
  const fresh = rowsOf(Array.from({ length: n }, (_, u) => (marked[u] ? Array.from({ length: rng.int(maxLen + 1) }, (_, i) => -(u * 1000 + i) - 1) : [])));
  return { prev, fresh };
}

test('patchedChunks streams the file writeArrays writes of patchRows\'s columns: first/last user changed, none, all, new users, empty rows', async () => {
  const rng = new Rng(3);
  const n0 = 40;
  const n = 43; // three new users, always marked
  const masks: Record<string, (u: number) => number> = {
    'first changed': (u) => +(u === 0),
    'last changed': (u) => +(u === n0 - 1),
    'none changed': () => 0,
    'all changed': () => 1,
    random: () => +(rng.next() < 0.3),
  };
  for (const [what, f] of Object.entries(masks)) {
    const marked = Uint8Array.from({ length: n }, (_, u) => (u >= n0 ? 1 : f(u)));
    const { prev, fresh } = world(rng, n0, n, marked, 5);
    const want = patchRows(marked, 0, n, fresh, prev, ['id', 'x'] as const);
    const runs = patchRuns(marked, 0, n, fresh.offsets, prev.offsets);
    const got = await streamed(runs, fresh.cols, prev.cols, ['id', 'x']);
    assert.deepEqual(got, Buffer.concat(encodeArrays({ id: want.cols.id, x: want.cols.x })), what);
    const back = decodeArrays(new Uint8Array(got));
    assert.deepEqual(Array.from(back.id as Int32Array), Array.from(want.cols.id), what);
    // With the patched offsets as a lead column: the whole CSR file, as writeArrays({ offsets, ...columns }) writes it.
    const offsets = patchedOffsets(marked, 0, n, fresh.offsets, prev.offsets);
    assert.deepEqual(offsets, want.offsets, what);
    const whole = await streamed(runs, fresh.cols, prev.cols, ['id', 'x'], { offsets });
    assert.deepEqual(whole, Buffer.concat(encodeArrays({ offsets: want.offsets, id: want.cols.id, x: want.cols.x })), what);
  }
  // Every row empty: a file of empty columns.
  const empty = rowsOf([[], []]);
  const none = patchRuns(Uint8Array.of(0, 1), 0, 2, empty.offsets, empty.offsets);
  assert.equal(none.length, 0);
  assert.deepEqual(await streamed(none, empty.cols, empty.cols, ['id', 'x']), Buffer.concat(encodeArrays({ id: new Int32Array(0), x: new Float32Array(0) })));
});

test('patchedChunks is exact across its 8 MiB write buffer, with columns of odd lengths (padding) and runs split between chunks', async () => {
  const rng = new Rng(5);
  const n = 3000;
  const marked = Uint8Array.from({ length: n }, () => +(rng.next() < 0.25));
  // ~3,000 users × up to 1,500 entries: ~9 MB per column, so runs and padding straddle the buffer's end.
  const { prev, fresh } = world(rng, n, n, marked, 1500);
  const odd = { offsets: prev.offsets, cols: { ...prev.cols, b: Int8Array.from(prev.cols.id, (v) => v % 100) } };
  const freshOdd = { ...fresh.cols, b: Int8Array.from(fresh.cols.id, (v) => v % 100) };
  const want = patchRows(marked, 0, n, { offsets: fresh.offsets, cols: freshOdd as never }, odd as never, ['id', 'b', 'x'] as never) as unknown as { cols: Record<string, Int32Array> };
  const runs = patchRuns(marked, 0, n, fresh.offsets, prev.offsets);
  const got = await streamed(runs, freshOdd as never, odd.cols as never, ['id', 'b', 'x']);
  assert.ok(got.length > 16 << 20);
  assert.ok(got.equals(Buffer.concat(encodeArrays({ id: want.cols.id, b: want.cols.b, x: want.cols.x }))));
});
