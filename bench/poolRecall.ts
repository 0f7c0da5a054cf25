/**
 * How much of what is hidden the candidate pool can reach: the share of each query user's hidden edges that
 * are among their top-K 2-hop candidates (by Adamic-Adar, the candidates stage's settings), K = 20, 200, 500,
 * 1,000, and the share within two hops at all. The protocol's split: a seeded random 10% of the edges hidden,
 * 1,000 query users.
 *
 *   node dist/bench/poolRecall.js [--seeds 1] [--graphs ego-facebook,...]
 *
 * Writes bench/results/pool-recall.{json,md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/load.js';
import type { EdgeColumns } from '../src/data/readers/edgeList.js';
import { prepareSplit } from '../src/eval/protocol.js';
import { TwoHopGenerator } from '../src/graph/twoHop.js';
import { LIST_DEFAULTS } from '../src/rank/examples.js';
import { machine } from './lib/machine.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
};
const ROOT = process.env.PYMK_DATA_ROOT ?? '../shared/data';
const GRAPHS: Record<string, { path: string; columns?: EdgeColumns }> = {
  'ego-facebook': { path: join(ROOT, 'ego-facebook/facebook_combined.txt') },
  'musae-facebook': { path: join(ROOT, 'musae-facebook/musae_facebook_edges.csv') },
  'bitcoin-otc': { path: join(ROOT, 'bitcoin-otc/soc-sign-bitcoinotc.csv'), columns: { src: 0, dst: 1, ts: 3 } },
  'college-msg': { path: join(ROOT, 'college-msg/CollegeMsg.txt') },
};
const KS = [20, 200, 500, 1000];
const seeds = flag('seeds', '1').split(',').map(Number);
const rows: { graph: string; seed: number; recall: Record<number, number>; twoHop: number; queryUsers: number }[] = [];
for (const name of flag('graphs', Object.keys(GRAPHS).join(',')).split(',')) {
  const g = GRAPHS[name];
  const w = await loadDataset(g.path, { columns: g.columns });
  for (const seed of seeds) {
    const p = prepareSplit({ name, n: w.ids.size, edges: w.connections }, { split: 'random', seed });
    const gen = new TwoHopGenerator(p.train, { ...LIST_DEFAULTS, topN: p.train.n });
    const sum: Record<number, number> = Object.fromEntries(KS.map((k) => [k, 0]));
    let all = 0;
    for (const u of p.queries) {
      const c = gen.run(u);
      const pos = new Map<number, number>();
      for (let i = 0; i < c; i++) pos.set(gen.cand[i], i);
      const held = p.heldOut.neighbors(u);
      let within = 0;
      for (const k of KS) {
        let hit = 0;
        for (const v of held) if ((pos.get(v) ?? Infinity) < k) hit++;
        sum[k] += hit / held.length;
      }
      for (const v of held) if (pos.has(v)) within++;
      all += within / held.length;
    }
    const q = p.queries.length;
    const row = { graph: name, seed, recall: Object.fromEntries(KS.map((k) => [k, Math.round((sum[k] / q) * 1e4) / 1e4])), twoHop: Math.round((all / q) * 1e4) / 1e4, queryUsers: q };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}
const m = machine();
const md = [
  '# Candidate pool recall (2-hop, by Adamic-Adar)',
  '',
  '- protocol: random 10% of the edges hidden, 1,000 query users; share of their hidden edges among the top-K 2-hop candidates',
  `- command: \`node dist/bench/poolRecall.js ${argv.join(' ')}\``,
  `- machine: ${m.cpu}, ${m.cores} cores, SIMD ${m.simd.join(' ') || 'none listed'}, node ${m.node}; ${m.at}`,
  '',
  `| graph | seed | ${KS.map((k) => `R@${k}`).join(' | ')} | within 2 hops |`,
  `|---|---:|${KS.map(() => '---:').join('|')}|---:|`,
  ...rows.map((r) => `| ${r.graph} | ${r.seed} | ${KS.map((k) => r.recall[k]).join(' | ')} | ${r.twoHop} |`),
  '',
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/pool-recall.json', JSON.stringify({ machine: m, rows }, null, 2) + '\n');
writeFileSync('bench/results/pool-recall.md', md);
process.stdout.write(md);
