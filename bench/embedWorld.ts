/**
 * Embeddings on a generated world, temporal split (the latest 10% of connections held out):
 * 1. warm users — `pymk eval`'s protocol (src/eval/protocol.ts) for pa, aa, embed and 2hop+embed:
 *    does the union of 2-hop and embedding candidates beat 2-hop alone at Recall@100?
 * 2. cold-start users — no connection before the cut, at least one after (to a user active before it):
 *    their profile-tower embedding ranks active users by dot product; Recall@20/@100 against the
 *    popularity baseline (most-connected active users) and random.
 * 3. the pool serving searches for them: every user by the vector the pipeline indexes (GNN, or the tower
 *    for the unconnected) against connected users only (what src/recommend/ann.ts offers), all future
 *    connections counting.
 *
 *   node dist/src/cli/main.js generate --users 50000 --seed 1 --out /tmp/w50k
 *   node dist/bench/embedWorld.js --data /tmp/w50k [--seed 1] [--users 2000] [--out bench/results/embed-world]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import { loadDataset } from '../src/data/load.js';
import '../src/embed/evalMethods.js';
import { EVAL_TRAIN, evalEmbedding, setEvalTraining } from '../src/embed/evalMethods.js';
import { TRAIN_DEFAULTS } from '../src/embed/train.js';
import { TopK } from '../src/core/topk.js';
import { topByDot } from '../src/embed/rank.js';
import { RankingAccumulator } from '../src/eval/metrics.js';
import { runEval } from '../src/eval/protocol.js';
import { formatMarkdown, toReport } from '../src/eval/report.js';
import { buildGraph } from '../src/graph/csr.js';
import { temporalSplit } from '../src/graph/splits.js';
import { argValue, cliOverrides, peakRssGiB, round } from './embedArgs.js';

const dir = argValue('data', '/tmp/w50k');
const seed = Number(argValue('seed', '1'));
const users = Number(argValue('users', '2000'));
const out = argValue('out', '');
const testFrac = 0.1;
const ks = [10, 20, 50, 100];
const command = `node dist/bench/embedWorld.js ${process.argv.slice(2).join(' ')}`;
const training = { ...EVAL_TRAIN, ...cliOverrides(TRAIN_DEFAULTS) };
setEvalTraining(training, (line) => console.error(`  [train] ${line}`));

const world = await loadDataset(dir);
const n = world.ids.size;
const t0 = performance.now();
const warm = await runEval(
  { name: world.report.name ?? dir, n, edges: world.connections, world },
  { split: 'temporal', testFrac, ks, methods: ['random', 'pa', 'aa', 'embed', '2hop+embed'], users, pairs: 10_000, seed },
);
const report = toReport(warm, { command, note: `generated world at ${dir}` });
console.log(formatMarkdown(report));

// Cold start: the same split and the same trained model (evalEmbedding is memoised on the training graph).
const split = temporalSplit(n, world.connections, { testFrac });
const train = buildGraph(n, split.train);
const e = evalEmbedding(train, world, seed, training);
if (!e.tower) throw new Error('the world has no profiles: no cold-start evaluation');
const d = e.model.config.dim;
const heldOut = buildGraph(n, split.test);
const active = Int32Array.from({ length: n }, (_, u) => u).filter((u) => train.degree(u) > 0);
const cold = Int32Array.from({ length: n }, (_, u) => u).filter((u) => train.degree(u) === 0 && heldOut.neighbors(u).some((v) => train.degree(v) > 0));
const maxK = ks[ks.length - 1];
const byDegree = Int32Array.from(active).sort((a, b) => train.degree(b) - train.degree(a) || a - b);
const rng = new Rng(seed);
const acc = { tower: new RankingAccumulator(ks), gnnIsolated: new RankingAccumulator(ks), popularity: new RankingAccumulator(ks), random: new RankingAccumulator(ks) };
const heap = new TopK(maxK);
const list = new Int32Array(maxK);
for (const u of cold) {
  const relevant = new Set(Array.from(heldOut.neighbors(u)).filter((v) => train.degree(v) > 0));
  acc.tower.add(list, topByDot(e.tower, u, e.vectors, d, active, (v) => v === u, heap, list), relevant);
  // What the GNN itself gives a user without neighbours (its row in the layer-wise output).
  acc.gnnIsolated.add(list, topByDot(e.vectors, u, e.vectors, d, active, (v) => v === u, heap, list), relevant);
  acc.popularity.add(byDegree, maxK, relevant);
  const r = rng.shuffle(Int32Array.from(active)).subarray(0, maxK);
  acc.random.add(r, maxK, relevant);
}
const coldResults = Object.fromEntries(Object.entries(acc).map(([k, a]) => [k, a.result()]));

// The candidate pool serving uses for them (src/recommend/ann.ts): the index holds every user, by the vector
// the pipeline gives it (GNN if connected before the cut, else the profile tower), and serving offers only
// the connected ones. Here every future connection counts, new users' included, to see what the filter costs.
const served = Float32Array.from(e.vectors);
for (let u = 0; u < n; u++) if (train.degree(u) === 0) served.set(e.tower.subarray(u * d, (u + 1) * d), u * d);
const everyone = Int32Array.from({ length: n }, (_, u) => u);
const coldAny = everyone.filter((u) => train.degree(u) === 0 && heldOut.neighbors(u).length > 0);
const pool = { 'all users (the index)': new RankingAccumulator(ks), 'connected users only (served)': new RankingAccumulator(ks) };
let toNew = 0;
let futureEdges = 0;
for (const u of coldAny) {
  const relevant = new Set(heldOut.neighbors(u));
  for (const v of relevant) toNew += train.degree(v) === 0 ? 1 : 0;
  futureEdges += relevant.size;
  pool['all users (the index)'].add(list, topByDot(e.tower, u, served, d, everyone, (v) => v === u, heap, list), relevant);
  pool['connected users only (served)'].add(list, topByDot(e.tower, u, served, d, active, (v) => v === u, heap, list), relevant);
}
const poolResults = Object.fromEntries(Object.entries(pool).map(([k, a]) => [k, a.result()]));
const toNewShare = round(toNew / Math.max(1, futureEdges), 4);
const seconds = (performance.now() - t0) / 1000;

const embedRow = warm.methods.find((m) => m.method === 'embed')!;
const summary = {
  recall100: Object.fromEntries(warm.methods.map((m) => [m.method, round(m.ranking.recall[100], 4)])),
  unionBeats2hop: warm.methods.find((m) => m.method === '2hop+embed')!.ranking.recall[100] > warm.methods.find((m) => m.method === 'aa')!.ranking.recall[100],
  coldUsers: cold.length,
  coldRecall20: Object.fromEntries(Object.entries(coldResults).map(([k, r]) => [k, round(r.recall[20], 4)])),
  coldRecall100: Object.fromEntries(Object.entries(coldResults).map(([k, r]) => [k, round(r.recall[100], 4)])),
  servedPool: { users: coldAny.length, toNewShare, recall20: Object.fromEntries(Object.entries(poolResults).map(([k, r]) => [k, round(r.recall[20], 4)])) },
  training: { edges: e.train.stats.edges, seconds: round(e.train.stats.seconds), edgesPerSecond: Math.round(e.train.stats.edgesPerSecond), validAuc: e.train.best.validAuc, stopped: e.train.stats.stopped },
  embedPrepareSeconds: round(embedRow.prepareMs / 1000),
  seconds: round(seconds),
  peakRssGiB: peakRssGiB(),
};
console.log(JSON.stringify(summary, null, 2));
if (out) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ benchmark: 'embed-world', summary, training, rounds: e.train.rounds, warm: report, cold: coldResults, servedPool: poolResults, command }, null, 2) + '\n');
  const coldTable = [
    '| cold-start ranking | users | Recall@10 | Recall@20 | Recall@50 | Recall@100 | Hits@20 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(coldResults).map(([k, r]) => `| ${k} | ${r.users} | ${ks.map((x) => round(r.recall[x], 4)).join(' | ')} | ${round(r.hits[20], 4)} |`),
  ];
  const md = [
    `# Embeddings on a generated world (temporal split)`,
    '',
    `Command: \`${command}\``,
    '',
    `Warm users: union of 2-hop (Adamic-Adar) and embedding candidates, Recall@100 ${summary.recall100['2hop+embed']} vs 2-hop alone ${summary.recall100.aa} (embedding alone ${summary.recall100.embed}).`,
    `Cold-start users (no connection before the cut; ${cold.length} of them): profile tower Recall@20 ${summary.coldRecall20.tower} vs popularity ${summary.coldRecall20.popularity} (random ${summary.coldRecall20.random}).`,
    `Training: ${summary.training.edges} positive edges in ${summary.training.seconds} s (${summary.training.edgesPerSecond} edges/s), validation AUC ${round(summary.training.validAuc ?? NaN, 4)}, stopped by ${summary.training.stopped}. Peak RSS ${summary.peakRssGiB} GiB.`,
    '',
    '## Cold-start users',
    '',
    'Query = the user\'s profile-tower embedding; candidates = users active before the cut, by dot product with their GNN',
    'embeddings. "gnnIsolated" = the GNN applied to the user with no neighbours (what the encoder alone would give);',
    'popularity = the most-connected active users; 2-hop methods return nothing for these users.',
    '',
    ...coldTable,
    '',
    '### The candidate pool as served',
    '',
    `Users with no connection before the cut and any after (${coldAny.length}); relevant = all their future connections, of which`,
    `${round(100 * toNewShare, 1)}% go to users who were also unconnected before the cut. Candidate vectors as the pipeline indexes them`,
    '(GNN if connected before the cut, else the profile tower); query = the profile tower.',
    '',
    '| candidate pool | users | Recall@10 | Recall@20 | Recall@50 | Recall@100 | Hits@20 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(poolResults).map(([k, r]) => `| ${k} | ${r.users} | ${ks.map((x) => round(r.recall[x], 4)).join(' | ')} | ${round(r.hits[20], 4)} |`),
    '',
    formatMarkdown(report).replace(/^# .*\n/, '## Warm users (pymk eval protocol)\n'),
  ];
  writeFileSync(`${out}.md`, md.join('\n'));
}
