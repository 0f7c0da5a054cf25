/**
 * Evaluating what is served: the protocol's split written out as files a pipeline can build from, and the
 * output of `pymk recommend` scored against the hidden edges, next to Adamic-Adar on the same split.
 *
 *   pymk eval --connections edges.csv --write-split DIR      # DIR/train.csv, hidden.csv, users.txt, split.json
 *   pymk pipeline --connections DIR/train.csv --out B
 *   pymk recommend --bundle B --users DIR/users.txt --limit 20 > recs.jsonl
 *   pymk eval --split-dir DIR --recommendations recs.jsonl
 *
 * train.csv has times only for a temporal split (a random split hides random edges, and the pipeline
 * should learn that task). Ids in the files are the dataset's own, so the bundle (which numbers users its own way) and the scorer
 * agree on who is who. Recall@K and NDCG@K are over the user's hidden edges (all between users with a
 * training connection), the served list read as it came (the business rules already removed neighbours).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import type { World } from '../data/world.js';
import { loadDataset } from '../data/load.js';
import { buildGraph } from '../graph/csr.js';
import { getMethod } from './methods.js';
import { RankingAccumulator } from './metrics.js';
import { prepareSplit, type EvalOptions, type EvalResult, type MethodResult } from './protocol.js';

export const SPLIT_FILES = { train: 'train.csv', hidden: 'hidden.csv', users: 'users.txt', meta: 'split.json' } as const;

interface SplitMeta {
  dataset: string;
  split: EvalResult['split'];
  /** hiddenEdges: the held-out edges between users with training connections (hidden.csv); coldHiddenEdges: the others, left out. */
  counts: { users: number; trainEdges: number; hiddenEdges: number; coldHiddenEdges?: number; queryUsers: number; eligibleQueryUsers: number };
}

/** Writes the protocol's split of `world` into `dir`; returns what split.json records. */
export async function writeSplit(world: World, name: string, dir: string, opts: EvalOptions = {}): Promise<SplitMeta> {
  const n = world.ids.size;
  const p = prepareSplit({ name, n, edges: world.connections, world }, opts);
  const id = (u: number): string => csvField(world.ids.value(u));
  await mkdir(dir, { recursive: true });
  const t = p.split.train;
  // A random split hides random edges: the training file has no times, so the pipeline learns the same task
  // (edge labels held back at random) rather than "who connects next". A temporal split keeps them.
  const timed = p.kind === 'temporal';
  const train = [timed ? 'src,dst,ts' : 'src,dst', ...Array.from({ length: t.count }, (_, i) => `${id(t.src[i])},${id(t.dst[i])}${timed && t.ts[i] ? `,${t.ts[i]}` : ''}`)];
  await writeFile(join(dir, SPLIT_FILES.train), train.join('\n') + '\n');
  const h = p.usable;
  await writeFile(join(dir, SPLIT_FILES.hidden), ['src,dst', ...Array.from({ length: h.count }, (_, i) => `${id(h.src[i])},${id(h.dst[i])}`)].join('\n') + '\n');
  await writeFile(join(dir, SPLIT_FILES.users), Array.from(p.queries, (u) => world.ids.value(u)).join('\n') + '\n');
  const meta: SplitMeta = {
    dataset: name,
    split: { kind: p.kind, testFrac: opts.testFrac ?? 0.1, cut: p.split.cut ?? null, keepConnected: opts.keepConnected ?? false, seed: opts.seed ?? 1, notes: p.split.notes, ...(p.fallback && { fallback: p.fallback }) },
    counts: { users: n, trainEdges: t.count, hiddenEdges: h.count, coldHiddenEdges: p.split.test.count - h.count, queryUsers: p.queries.length, eligibleQueryUsers: p.eligible.length },
  };
  await writeFile(join(dir, SPLIT_FILES.meta), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** One `pymk recommend` line: the user and the served ids, best first (error lines have none). */
interface ServedLine {
  user: string;
  recommendations?: { id: string }[];
  error?: { code: string };
}

/**
 * Scores `pymk recommend` output for the split in `dir`: method 'served' (the file) and 'aa' (Adamic-Adar
 * with the tie rule on train.csv). A query user absent from the file, or answered with an error, counts with
 * an empty list (`missing`).
 */
export async function scoreServed(dir: string, recsPath: string, ks: number[]): Promise<EvalResult & { missing: number }> {
  const t0 = performance.now();
  const meta = JSON.parse(await readFile(join(dir, SPLIT_FILES.meta), 'utf8')) as SplitMeta;
  const world = await loadDataset(join(dir, SPLIT_FILES.train));
  const n = world.ids.size;
  const train = buildGraph(n, world.connections);
  const dense = (s: string): number => world.ids.lookup(s);
  const held = new Map<number, Set<number>>();
  const hiddenLines = (await readFile(join(dir, SPLIT_FILES.hidden), 'utf8')).split(/\r?\n/).slice(1).filter(Boolean);
  for (const line of hiddenLines) {
    const [a, b] = parseCsvPair(line);
    const u = dense(a);
    const v = dense(b);
    if (u < 0 || v < 0) throw new PymkError('PYMK_BAD_INPUT', `${join(dir, SPLIT_FILES.hidden)}: ${line}: a user without training connections (was the split written by this version?)`);
    for (const [x, y] of [[u, v], [v, u]]) (held.get(x) ?? held.set(x, new Set()).get(x)!).add(y);
  }
  const queries = (await readFile(join(dir, SPLIT_FILES.users), 'utf8')).split(/\r?\n/).filter(Boolean).map(dense);
  const served = new Map<number, number[]>();
  const recLines = (await readFile(recsPath, 'utf8')).split(/\r?\n/).filter(Boolean);
  recLines.forEach((line, i) => {
    let r: ServedLine;
    try {
      r = JSON.parse(line) as ServedLine;
    } catch {
      throw new PymkError('PYMK_BAD_INPUT', `${recsPath}:${i + 1}: expected a JSON line of pymk recommend`);
    }
    if (typeof r.user !== 'string') throw new PymkError('PYMK_BAD_INPUT', `${recsPath}:${i + 1}: no "user"`);
    if (r.recommendations) served.set(dense(r.user), r.recommendations.map((c) => dense(c.id)));
  });
  const maxK = Math.max(...ks);
  const aa = await getMethod('aa').prepare({ train, active: new Int32Array(0), activeMask: new Uint8Array(n), maxK, seed: meta.split.seed });
  const accServed = new RankingAccumulator(ks);
  const accAa = new RankingAccumulator(ks);
  const out = new Int32Array(maxK);
  let missing = 0;
  let servedLen = 0;
  let aaLen = 0;
  for (const u of queries) {
    const rel = held.get(u);
    if (!rel) throw new PymkError('PYMK_BAD_INPUT', `${join(dir, SPLIT_FILES.users)}: query user ${world.ids.value(u)} has no hidden edge`);
    const list = served.get(u);
    if (!list) missing++;
    const l = list ?? [];
    accServed.add(l, l.length, rel);
    servedLen += Math.min(l.length, maxK);
    const c = await aa.rank(u, maxK, out);
    accAa.add(out, c, rel);
    aaLen += c;
  }
  const method = (name: string, description: string, acc: RankingAccumulator, len: number): MethodResult => ({
    method: name,
    description,
    ranking: acc.result(),
    auc: null,
    ap: null,
    logLoss: null,
    meanListLength: queries.length ? len / queries.length : 0,
    prepareMs: 0,
    msPerUser: 0,
  });
  return {
    dataset: meta.dataset,
    split: meta.split,
    counts: {
      users: meta.counts.users,
      activeUsers: n,
      edges: meta.counts.trainEdges + meta.counts.hiddenEdges,
      trainEdges: meta.counts.trainEdges,
      testEdges: meta.counts.hiddenEdges,
      usableTestEdges: meta.counts.hiddenEdges,
      eligibleQueryUsers: meta.counts.eligibleQueryUsers,
      queryUsers: queries.length,
      pairPositives: 0,
      pairNegatives: 0,
    },
    ks: [...ks].sort((a, b) => a - b),
    methods: [method('served', `pymk recommend output (${recsPath})`, accServed, servedLen), method('aa', 'Adamic-Adar over 2-hop candidates, tie rule of twoHop.ts', accAa, aaLen)],
    durationMs: performance.now() - t0,
    missing,
  };
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function parseCsvPair(line: string): [string, string] {
  const m = /^("(?:[^"]|"")*"|[^,]*),("(?:[^"]|"")*"|[^,]*)$/.exec(line);
  if (!m) throw new PymkError('PYMK_BAD_INPUT', `hidden edge line ${JSON.stringify(line)}: expected src,dst`);
  const un = (f: string): string => (f.startsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f);
  return [un(m[1]), un(m[2])];
}
