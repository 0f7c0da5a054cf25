/**
 * Reader for the Planetoid citation graphs (Cora, CiteSeer) in the plain-text conversion under
 * `shared/data/planetoid/converted/` — the node order, features and edges of tkipf/gae's `load_data`:
 *   `<name>.edges.csv`    header `src,dst`, one undirected edge per line (src ≤ dst; self-loops as `u,u`)
 *   `<name>.features.txt` line i = space-separated indices of node i's non-zero (binary) features
 *   `<name>.labels.txt`   line i = class of node i, or -1
 * Self-loops are kept in `edges` (the VGAE protocol drops them before splitting; so does buildGraph).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PymkError } from '../../core/errors.js';
import { sharedDataDir } from '../../core/paths.js';
import type { EdgeTable } from '../../core/tables.js';

export interface Planetoid {
  name: string;
  n: number;
  edges: EdgeTable;
  /** Per node, the indices of its non-zero features, ascending as in the file. */
  features: Int32Array[];
  /** Number of distinct feature indices (1 + the largest seen). */
  featureDim: number;
  labels: Int32Array;
}

export const PLANETOID_DIR = sharedDataDir('planetoid', 'converted');

/** Reads `<dir>/<name>.{edges.csv,features.txt,labels.txt}`; malformed lines are PYMK_BAD_INPUT naming the file and line. */
export async function readPlanetoid(name: string, dir = PLANETOID_DIR): Promise<Planetoid> {
  const text = async (suffix: string): Promise<{ path: string; lines: string[] }> => {
    const path = join(dir, `${name}.${suffix}`);
    const body = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new PymkError('PYMK_BAD_INPUT', `${path}: cannot read (${e.code ?? e.message})`, { path });
    });
    const lines = body.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { path, lines };
  };
  const bad = (path: string, line: number, what: string): PymkError => new PymkError('PYMK_BAD_INPUT', `${path}:${line}: ${what}`, { path, line });

  const f = await text('features.txt');
  let featureDim = 0;
  const features = f.lines.map((l, i) => {
    const idx = l.trim() === '' ? new Int32Array(0) : Int32Array.from(l.trim().split(/\s+/), Number);
    for (const x of idx) {
      if (!Number.isInteger(x) || x < 0) throw bad(f.path, i + 1, `expected non-negative feature indices, got '${l}'`);
      if (x + 1 > featureDim) featureDim = x + 1;
    }
    return idx;
  });
  const n = features.length;

  const l = await text('labels.txt');
  if (l.lines.length !== n) throw bad(l.path, l.lines.length, `${l.lines.length} labels for ${n} nodes`);
  const labels = Int32Array.from(l.lines, (s, i) => {
    const x = Number(s);
    if (!Number.isInteger(x) || x < -1) throw bad(l.path, i + 1, `expected a class index or -1, got '${s}'`);
    return x;
  });

  const e = await text('edges.csv');
  if (e.lines[0]?.trim() !== 'src,dst') throw bad(e.path, 1, `expected the header 'src,dst'`);
  const m = e.lines.length - 1;
  const edges: EdgeTable = { count: m, src: new Int32Array(m), dst: new Int32Array(m), ts: new Uint32Array(m) };
  for (let i = 0; i < m; i++) {
    const [a, b] = e.lines[i + 1].split(',').map(Number);
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < n && b < n)) throw bad(e.path, i + 2, `expected 'src,dst' node ids below ${n}, got '${e.lines[i + 1]}'`);
    edges.src[i] = a;
    edges.dst[i] = b;
  }
  return { name, n, edges, features, featureDim, labels };
}
