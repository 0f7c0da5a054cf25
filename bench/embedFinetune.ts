/**
 * Fine-tune vs full retrain on a growing generated world. Snapshot 1 = connections before the 80% time
 * quantile, snapshot 2 = before the 90% quantile (new users and edges), test = the connections after it.
 * A model trained on snapshot 1 with the full budget is fine-tuned on snapshot 2 with a fraction of it,
 * and compared with a model retrained on snapshot 2 from scratch with the full budget: test AUC (future
 * edges between users active in snapshot 2 vs as many random non-edges), Recall@50 for sampled users, time.
 *
 *   node dist/bench/embedFinetune.js --data /tmp/w10k [--maxEdges 60000] [--share 0.3] [--out bench/results/embed-finetune]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { loadDataset } from '../src/data/load.js';
import { profileInputs, profileSpec, type NodeInputs } from '../src/embed/features.js';
import { embedAll } from '../src/embed/infer.js';
import type { Model } from '../src/embed/model.js';
import { TopK } from '../src/core/topk.js';
import { topByDot } from '../src/embed/rank.js';
import { TRAIN_DEFAULTS, trainModel, type TrainOptions } from '../src/embed/train.js';
import { RankingAccumulator, rocAuc } from '../src/eval/metrics.js';
import { machineInfo } from '../src/eval/report.js';
import { buildGraph, type Graph } from '../src/graph/csr.js';
import { sampleNonEdges } from '../src/graph/splits.js';
import { argsortU32, uniquePairs } from '../src/graph/splits.js';
import { argValue, cliOverrides, round } from './embedArgs.js';

const dir = argValue('data', '/tmp/w10k');
const out = argValue('out', '');
const share = Number(argValue('share', '0.3'));
const opts: Partial<TrainOptions> = { identity: true, fanouts: [10, 10], epochs: 100, maxEdges: 60_000, patience: 0, ...cliOverrides(TRAIN_DEFAULTS) };
const command = `node dist/bench/embedFinetune.js ${process.argv.slice(2).join(' ')}`;

const world = await loadDataset(dir);
const n = world.ids.size;
const pairs = uniquePairs(n, world.connections);
const order = argsortU32(pairs.ts);
const at = (q: number): number => pairs.ts[order[Math.floor(q * (pairs.count - 1))]];
const cut1 = at(0.8);
const cut2 = at(0.9);
const g1 = buildGraph(n, pairs, { before: cut1 });
const g2 = buildGraph(n, pairs, { before: cut2 });
const future = buildGraph(n, { count: pairs.count, src: pairs.src, dst: pairs.dst, ts: pairs.ts }, { include: (i) => pairs.ts[i] >= cut2 && g2.degree(pairs.src[i]) > 0 && g2.degree(pairs.dst[i]) > 0 });
const spec = profileSpec(world.profiles);
spec.refTime = cut2;
const inputs = profileInputs(spec, world.profiles, n);
const active = (g: Graph): Int32Array => Int32Array.from({ length: n }, (_, u) => u).filter((u) => g.degree(u) > 0);
const activeUsers2 = active(g2);

function evaluate(m: Model, inp: NodeInputs): { auc: number; recall50: number } {
  const E = embedAll(m, g2, inp, { fanouts: [25, 25] });
  const d = m.config.dim;
  const dot = (u: number, v: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += E[u * d + k] * E[v * d + k];
    return s;
  };
  const pos: number[] = [];
  for (let u = 0; u < n; u++) for (const v of future.neighbors(u)) if (u < v) pos.push(dot(u, v));
  const neg = sampleNonEdges(buildGraph(n, pairs), pos.length, 77, activeUsers2);
  const auc = rocAuc(pos, Array.from({ length: neg.count }, (_, i) => dot(neg.src[i], neg.dst[i])));
  const rng = new Rng(5);
  const queries = rng.shuffle(Int32Array.from(activeUsers2).filter((u) => future.degree(u) > 0)).slice(0, 500);
  const acc = new RankingAccumulator([50]);
  const heap = new TopK(50);
  const list = new Int32Array(50);
  for (const u of queries) acc.add(list, topByDot(E, u, E, d, activeUsers2, (v) => v === u || g2.hasEdge(u, v), heap, list), new Set(future.neighbors(u)));
  return { auc, recall50: acc.result().recall[50] };
}

const first = trainModel({ graph: g1, inputs, spec }, { ...opts, seed: 1 });
const tuned = trainModel({ graph: g2, inputs, spec }, { ...opts, seed: 2, maxEdges: Math.round((opts.maxEdges ?? 0) * share), lr: (opts.lr ?? TRAIN_DEFAULTS.lr) * 0.5 }, { init: first.model });
const retrained = trainModel({ graph: g2, inputs, spec }, { ...opts, seed: 2 });
const rows = [
  { model: 'snapshot-1 model, not updated', edges: 0, seconds: 0, ...evaluate(first.model, inputs) },
  { model: `fine-tuned (${share} of the budget, lr × 0.5)`, edges: tuned.stats.edges, seconds: round(tuned.stats.seconds), ...evaluate(tuned.model, inputs) },
  { model: 'retrained from scratch (full budget)', edges: retrained.stats.edges, seconds: round(retrained.stats.seconds), ...evaluate(retrained.model, inputs) },
];
const doc = {
  benchmark: 'embed-finetune',
  snapshots: { cut1, cut2, edges1: g1.edgeCount, edges2: g2.edgeCount, users1: active(g1).length, users2: activeUsers2.length, futureEdges: future.edgeCount },
  options: opts,
  rows,
  command,
  machine: machineInfo(),
  createdAt: new Date().toISOString(),
};
console.log(JSON.stringify(doc, null, 2));
if (out) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify(doc, null, 2) + '\n');
  const s = doc.snapshots;
  const md = [
    '# Fine-tuning vs full retrain',
    '',
    `Command: \`${command}\``,
    `Snapshot 1: ${s.edges1} connections, ${s.users1} users with one; snapshot 2: ${s.edges2} connections, ${s.users2} users; test: ${s.futureEdges} later connections between snapshot-2 users.`,
    `Budget: ${opts.maxEdges} positive edges for a full training. AUC: test edges vs as many random non-edges; Recall@50: 500 sampled users, candidates = snapshot-2 users by dot product.`,
    '',
    '| model | training edges | s | test AUC | Recall@50 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.model} | ${r.edges} | ${r.seconds} | ${round(r.auc, 4)} | ${round(r.recall50, 4)} |`),
    '',
  ];
  writeFileSync(`${out}.md`, md.join('\n'));
}
