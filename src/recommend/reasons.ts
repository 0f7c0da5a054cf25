/** Human-readable reasons for a recommendation: mutual connections, shared profile fields, embedding similarity. */
import { lowerBound } from '../core/sorted.js';
import type { ProfileField } from '../core/tables.js';
import type { OnlineStore, RankingInputs } from '../store/types.js';

export type Reason =
  | { type: 'mutual_connections'; count: number; sample: string[] }
  | { type: 'same_company' | 'same_school' | 'same_location'; value: string }
  /** Found by the ANN index: cosine similarity of the two users' embeddings. */
  | { type: 'similar_to_you'; similarity: number };

const SHARED: [ProfileField, 'same_company' | 'same_school' | 'same_location'][] = [
  ['company', 'same_company'],
  ['school', 'same_school'],
  ['location', 'same_location'],
];

/** Up to this many connections, their names are read with the candidates' rows (see buildReasons). */
const PREFETCH_NAMES = 256;

/** Reasons for each picked candidate index; mutual ids are fetched for the picked ones only. */
export async function buildReasons(
  store: OnlineStore,
  inputs: RankingInputs,
  picked: number[],
  sampleSize = 3,
): Promise<Reason[][]> {
  const ids = picked.map((i) => inputs.candidates.ids[i]);
  const conn = inputs.connections;
  // The names of a user's connections are read beside the candidates' rows (one round trip, not two) when
  // they are few; the mutual samples are among them. A user without connections shares none.
  const [rows, connNames] = await Promise.all([
    conn.length > 0 ? store.neighbors(ids) : ids.map(() => new Int32Array(0)),
    // A name that cannot be read (expired) fails only this shortcut: the samples' own names are read after.
    conn.length > 0 && conn.length <= PREFETCH_NAMES && picked.length > 0 ? store.externalIds(conn).catch(() => null) : null,
  ]);
  const samples: number[][] = [];
  const counts: number[] = [];
  for (const r of rows) {
    const { count, sample } = intersectSorted(inputs.connections, r, sampleSize);
    counts.push(count);
    samples.push(sample);
  }
  const flat = samples.flat();
  const names = flat.length === 0 ? [] : connNames ? flat.map((id) => connNames[lowerBound(conn, id)]) : await store.externalIds(flat);
  let k = 0;
  return picked.map((i, j) => {
    const out: Reason[] = [];
    if (counts[j] > 0) {
      out.push({ type: 'mutual_connections', count: counts[j], sample: names.slice(k, k + samples[j].length) });
    }
    k += samples[j].length;
    for (const [field, type] of SHARED) {
      const mine = inputs.user[field][0];
      if (mine >= 0 && inputs.candidates.users[field][i] === mine) {
        const value = store.fieldValue(field, mine);
        if (value !== null) out.push({ type, value });
      }
    }
    if (inputs.source === 'ann') out.push({ type: 'similar_to_you', similarity: Math.round(inputs.candidates.score[i] * 1e4) / 1e4 });
    return out;
  });
}

/** Size of the intersection of two sorted arrays and its first `keep` elements. */
export function intersectSorted(a: Int32Array, b: Int32Array, keep: number): { count: number; sample: number[] } {
  let i = 0;
  let j = 0;
  let count = 0;
  const sample: number[] = [];
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      if (sample.length < keep) sample.push(x);
      count++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return { count, sample };
}
