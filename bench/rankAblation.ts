/**
 * Which ranking features carry signal beyond Adamic-Adar: the ranker trained on the served lists of a
 * random 10% edge split of a graph, once with every feature and once with each group of features zeroed,
 * scored on the validation users' served lists (Recall@20 and NDCG@10 over all their held-out edges, next
 * to AA on the same lists: the manifest's metrics).
 *
 *   node dist/bench/rankAblation.js --connections FILE [--columns 0,1,3] [--seed 1] [--groups all,-paths,...] [--trees N --depth D --lr X]
 */
import { Dictionary } from '../src/core/dictionary.js';
import { emptyProfiles } from '../src/core/tables.js';
import { loadDataset } from '../src/data/load.js';
import { buildGraph } from '../src/graph/csr.js';
import { randomEdgeSplit } from '../src/graph/splits.js';
import { buildExamples, EXAMPLE_DEFAULTS, type Examples } from '../src/rank/examples.js';
import { COL, FEATURE_COUNT } from '../src/rank/schema.js';
import { RANK_MAX_USERS, trainRanker, TRAIN_DEFAULTS } from '../src/rank/train.js';
import { parseColumns } from '../src/cli/commands/dataSource.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
};

const GROUPS: Record<string, string[]> = {
  paths: ['p3', 'ra3'],
  normcn: ['salton', 'hpi', 'hdi'],
  cn: ['cn', 'jaccard'],
  ra: ['ra'],
  degrees: ['pa', 'user_degree', 'cand_degree'],
};

function zeroed(ex: Examples, names: string[]): Examples {
  const X = ex.X.slice();
  for (const n of names) for (let r = 0; r < ex.rows; r++) X[r * FEATURE_COUNT + COL[n]] = 0;
  return { ...ex, X };
}

const file = flag('connections', '');
const columns = argv.includes('--columns') ? parseColumns(flag('columns', '')) : undefined;
const seed = Number(flag('seed', '1'));
const world = await loadDataset(file, { columns });
const n = world.ids.size;
const split = randomEdgeSplit(n, world.connections, { testFrac: 0.1, seed });
// The protocol's task: random hidden edges, so edge labels (no times), as the pipeline trains on a split's train.csv.
const g = buildGraph(n, { ...split.train, ts: new Uint32Array(split.train.count) });
const t0 = performance.now();
const ex = await buildExamples(
  { ids: world.ids ?? Dictionary.from([]), profiles: world.profiles ?? emptyProfiles(n), graph: g, events: null },
  { ...EXAMPLE_DEFAULTS, maxUsers: RANK_MAX_USERS, seed },
);
console.error(`${ex.rows} rows, ${ex.labels.positives} positive (${ex.labels.positivesOutsideLists} outside the lists) in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
const variants = flag('groups', ['all', ...Object.keys(GROUPS).map((k) => `-${k}`)].join(',')).split(',');
for (const v of variants) {
  const drop = v === 'all' ? [] : v.slice(1).split('+').flatMap((k) => GROUPS[k] ?? [k]);
  const t = performance.now();
  const gbdt = { ...TRAIN_DEFAULTS.gbdt, trees: Number(flag('trees', String(TRAIN_DEFAULTS.gbdt.trees))), maxDepth: Number(flag('depth', String(TRAIN_DEFAULTS.gbdt.maxDepth))), learningRate: Number(flag('lr', String(TRAIN_DEFAULTS.gbdt.learningRate))), subsample: Number(flag('subsample', String(TRAIN_DEFAULTS.gbdt.subsample))) };
  const r = trainRanker(drop.length ? zeroed(ex, drop) : ex, { ...TRAIN_DEFAULTS, gbdt, seed });
  const m = r.metrics.valid;
  console.log(
    JSON.stringify({
      variant: v,
      aa: m.aa.recall20,
      mlp: m.mlp.recall20,
      gbdt: m.gbdt.recall20,
      mlpVsAa: Math.round((m.mlp.recall20 / m.aa.recall20) * 1000) / 1000,
      gbdtVsAa: Math.round((m.gbdt.recall20 / m.aa.recall20) * 1000) / 1000,
      ndcg10: { aa: m.aa.ndcg10, mlp: m.mlp.ndcg10, gbdt: m.gbdt.ndcg10 },
      seconds: Math.round((performance.now() - t) / 100) / 10,
    }),
  );
}
