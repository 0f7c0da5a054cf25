/**
 * An incremental run against a full run on a grown world.
 *
 *   node dist/bench/incremental.js --data DIR [--grow 0.01] [--new-edges random|latest] [--seed 1]
 *     [--work /tmp/pymk-incremental] [--no-rank] [--no-embed] [--fine-tune] [--keep] [--redis redis://127.0.0.1:PORT]
 *     [--out bench/results/incremental-NAME]
 *
 * Builds a full bundle (the "weekly" run), grows the world by `--grow` new connections and `--grow` new users
 * (3 connections each, to random existing users), all dated a day after the data, then runs `--incremental
 * --since` the weekly bundle and a full run on the grown world (embeddings and the ANN index on unless
 * `--no-embed`: the incremental run keeps the weekly encoder frozen and its index with a recent tier). New connections (`--new-edges`): `random` — between uniformly random existing users;
 * `latest` — the world's own latest connections by time, held back from the weekly run (where the
 * generator's growth puts them: more often on active users). Prints and saves each run's wall time and
 * stages, the share of users each incremental stage recomputed, and the static lists' Recall@20 overlap with
 * the full run for the changed users, their neighbours (whose copied rows are stale) and the rest. With
 * `--redis` (a server of the benchmark's own: it writes millions of keys), it also publishes the weekly
 * bundle in full and then the incremental one with `publish --since` and reports the keys written. With
 * embeddings, it compares the incremental bundle's vectors and index with the full rerun's
 * (bench/lib/incrementalEmbed.ts), and with `--fine-tune` measures the alternative to the frozen encoder.
 */
import { appendFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readArrays } from '../src/bundle/binary.js';
import { openBundle } from '../src/bundle/bundle.js';
import { GRAPH_COLUMNS, LIST_COLUMNS, PROFILE_COLUMNS } from '../src/bundle/artifacts.js';
import { Rng } from '../src/core/rng.js';
import { Graph } from '../src/graph/csr.js';
import { exclusionMask } from '../src/graph/exclusions.js';
import { runPipeline, type RunResult } from '../src/pipeline/runner.js';
import { changedUsers } from '../src/pipeline/stages/affected.js';
import { PIPELINE_DEFAULTS, consistentParams, defaultStages, type PipelineParams } from '../src/pipeline/stages/index.js';
import { RECENT_TIER_DEFAULTS } from '../src/pipeline/stages/annIncremental.js';
import { keptRankStage } from '../src/pipeline/stages/keptModel.js';
import { loadSnapshot } from '../src/store/fromBundle.js';
import { openKvTarget, publishChanges, publishSnapshot } from '../src/store/index.js';
import { compareEmbeddings, type EmbedComparison } from './lib/incrementalEmbed.js';
import { machine, machineLine } from './lib/machine.js';
import { saveResults } from './lib/results.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const data = arg('data', '');
const grow = Number(arg('grow', '0.01'));
const work = arg('work', '/tmp/pymk-incremental');
const seed = Number(arg('seed', '1'));
const newEdges = arg('new-edges', 'random');
const redisUrl = arg('redis', '');
const out = arg('out', '');
if (!data || !['random', 'latest'].includes(newEdges)) throw new Error('usage: --data DIR [--new-edges random|latest] (see the header of bench/incremental.ts)');
const withEmbed = !process.argv.includes('--no-embed');
const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, ...(!withEmbed && { embed: false as const }), ...(process.argv.includes('--no-rank') && { rank: false as const }) };
const quiet = { progress: 'silent' as const, log: () => {} };
const host = machine();

interface Timed {
  run: string;
  seconds: number;
  stages: Record<string, number | 'reused'>;
}

async function timed(name: string, run: () => Promise<RunResult>): Promise<[RunResult, Timed]> {
  const t0 = performance.now();
  const r = await run();
  const stages = Object.fromEntries(r.manifest.stages.map((s) => [s.name, s.reused ? ('reused' as const) : +((s.ms ?? 0) / 1000).toFixed(1)]));
  const t = { run: name, seconds: +((performance.now() - t0) / 1000).toFixed(1), stages };
  console.log(JSON.stringify(t));
  return [r, t];
}

/** The weekly data (`latest`: without the world's latest connections) and the grown data, as folders under `work`. */
async function worlds(): Promise<{ weeklyData: string; grown: string; heldBack: number }> {
  const lines = (await readFile(join(data, 'connections.csv'), 'utf8')).trim().split('\n');
  const [header, rows] = [lines[0], lines.slice(1)];
  const k = Math.round(rows.length * grow);
  let weeklyData = data;
  let base = rows;
  if (newEdges === 'latest') {
    const byTime = rows.map((l, i) => [Number(l.split(',')[2]) || 0, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const late = new Set(byTime.slice(rows.length - k).map(([, i]) => i));
    weeklyData = join(work, 'data-weekly');
    await rm(weeklyData, { recursive: true, force: true });
    await cp(data, weeklyData, { recursive: true });
    base = rows.filter((_, i) => !late.has(i));
    await writeFile(join(weeklyData, 'connections.csv'), `${[header, ...base].join('\n')}\n`);
  }
  const grown = join(work, 'grown');
  await rm(grown, { recursive: true, force: true });
  await cp(data, grown, { recursive: true });
  return { weeklyData, grown, heldBack: newEdges === 'latest' ? k : 0 };
}

async function main(): Promise<void> {
  // --keep: take the "before" bundle from an earlier run of this benchmark when it is there and complete.
  const kept = process.argv.includes('--keep') ? await openBundle(join(work, 'weekly')).catch(() => null) : null;
  if (!kept) await rm(work, { recursive: true, force: true });
  const { weeklyData, grown, heldBack } = await worlds();
  const [weekly, tWeekly] = kept
    ? [{ dir: kept.dir, manifest: kept.manifest, ran: [], reused: [] } as RunResult, { run: 'full (before), kept from an earlier run', seconds: NaN, stages: {} }]
    : await timed('full (before)', () => runPipeline({ out: join(work, 'weekly'), stages: defaultStages(PARAMS), inputs: { data: weeklyData }, params: PARAMS, ...quiet }));
  const ids = JSON.parse(await readFile(join(weekly.dir, 'users/ids.json'), 'utf8')) as string[];
  const n0 = ids.length;
  const lines = (await readFile(join(data, 'connections.csv'), 'utf8')).trim().split('\n');
  const ts = lines.slice(1).reduce((m, l) => Math.max(m, Number(l.split(',')[2]) || 0), 0) + 86_400;
  const rng = new Rng(seed);
  const added: string[] = [];
  if (newEdges === 'random') for (let i = 0; i < Math.round((lines.length - 1) * grow); i++) added.push(`${ids[rng.int(n0)]},${ids[rng.int(n0)]},${ts}`);
  for (let j = 0; j < Math.round(n0 * grow); j++) for (let k = 0; k < 3; k++) added.push(`grown${j},${ids[rng.int(n0)]},${ts}`);
  await appendFile(join(grown, 'connections.csv'), `${added.join('\n')}\n`);
  const [inc, tInc] = await timed('incremental', () =>
    runPipeline({ out: join(work, 'inc'), stages: defaultStages(PARAMS, { incrementalFrom: weekly.dir }), inputs: { data: grown }, params: PARAMS, reuseFrom: weekly.dir, ...quiet }),
  );
  const [full, tFull] = await timed('full (after)', () => runPipeline({ out: join(work, 'full'), stages: defaultStages(PARAMS), inputs: { data: grown }, params: PARAMS, ...quiet }));
  // The full run with the weekly model instead of a retrained one: the overlap with it is the incremental run's staleness alone.
  // The lists do not read the embeddings, so this run leaves them (and the index) out: its time is not a full run's.
  const rank = consistentParams(PARAMS).rank;
  const noEmbed = { ...PARAMS, embed: false as const };
  const sameModel = rank
    ? await timed(withEmbed ? 'full (after), weekly model, no embeddings' : 'full (after), weekly model', () =>
        runPipeline({ out: join(work, 'full-same-model'), stages: defaultStages(noEmbed).map((s) => (s.name === 'rank' ? keptRankStage(rank, weekly.dir) : s)), inputs: { data: grown }, params: noEmbed, ...quiet }),
      )
    : null;

  const graph = async (r: RunResult): Promise<Graph> => {
    const g = await readArrays(join(r.dir, 'graph/graph.bin'), GRAPH_COLUMNS);
    return new Graph(g.offsets.length - 1, g.offsets, g.targets, g.times);
  };
  const flags = async (r: RunResult): Promise<Uint8Array> => exclusionMask((await readArrays(join(r.dir, 'users/profiles.bin'), PROFILE_COLUMNS)).flags);
  const g1 = await graph(full);
  const changed = changedUsers(await graph(weekly), await flags(weekly), g1, await flags(full));
  const near = new Uint8Array(g1.n);
  for (let u = 0; u < g1.n; u++) if (changed[u]) for (const v of g1.neighbors(u)) if (!changed[v]) near[v] = 1;
  const li = await readArrays(join(inc.dir, 'lists/static.bin'), LIST_COLUMNS);
  const overlap = async (ref: RunResult): Promise<Record<string, { users: number; overlap: number | null }>> => {
    const lf = await readArrays(join(ref.dir, 'lists/static.bin'), LIST_COLUMNS);
    const groups: Record<string, [number, number]> = { changed: [0, 0], neighbours: [0, 0], others: [0, 0], all: [0, 0] };
    for (let u = 0; u < g1.n; u++) {
      const f = new Set(lf.cand.subarray(lf.offsets[u], Math.min(lf.offsets[u + 1], lf.offsets[u] + 20)));
      if (f.size === 0) continue;
      const i = li.cand.subarray(li.offsets[u], Math.min(li.offsets[u + 1], li.offsets[u] + 20));
      const hit = Array.from(i).filter((v) => f.has(v)).length / f.size;
      for (const k of [changed[u] ? 'changed' : near[u] ? 'neighbours' : 'others', 'all']) {
        groups[k][0] += hit;
        groups[k][1]++;
      }
    }
    return Object.fromEntries(Object.entries(groups).map(([k, [s, c]]) => [k, { users: c, overlap: c ? +(s / c).toFixed(4) : null }]));
  };
  const metrics = (r: RunResult, stage: string): Record<string, unknown> => r.manifest.stages.find((s) => s.name === stage)?.metrics ?? {};
  const recomputed = Object.fromEntries(['candidates', 'pair-features', 'lists'].map((s) => [s, +(((metrics(inc, s).recomputed as number) ?? NaN) / g1.n).toFixed(4)]));
  const result = {
    machine: host,
    command: `node dist/bench/incremental.js ${process.argv.slice(2).join(' ')}`,
    data,
    newEdges,
    grow,
    users: g1.n,
    heldBackConnections: heldBack,
    runs: [tWeekly, tInc, tFull, ...(sameModel ? [sameModel[1]] : [])],
    incrementalShareOfFull: +(tInc.seconds / tFull.seconds).toFixed(4),
    recomputedShare: recomputed,
    modelKept: metrics(inc, 'rank').kept === true,
    servedRetrained: metrics(full, 'rank').served ?? null,
    servedWeekly: metrics(weekly, 'rank').served ?? null,
    recallAt20: await overlap(full),
    recallAt20SameModel: sameModel ? await overlap(sameModel[0]) : null,
    publish: redisUrl ? await publishBench(weekly.dir, inc.dir) : null,
    embed: withEmbed ? { incremental: metrics(inc, 'embed'), ann: metrics(inc, 'ann'), full: metrics(full, 'embed'), fullAnn: metrics(full, 'ann') } : null,
    embedComparison: withEmbed ? await compareEmbeddings(weekly.dir, inc.dir, full.dir, { fineTune: process.argv.includes('--fine-tune'), sample: 500, seed }) : null,
  };
  console.log(JSON.stringify(result));
  if (out) await saveResults(out, result, markdown(result));
}

/** Publishes `weeklyDir` in full into a fresh prefix, then `incDir` with publishChanges; the reports of both. */
async function publishBench(weeklyDir: string, incDir: string): Promise<Record<string, unknown>> {
  const url = `${redisUrl}${redisUrl.includes('?') ? '&' : '?'}prefix=pymkbench-incremental-${process.pid}`;
  const t = await openKvTarget(url);
  try {
    const full = await publishSnapshot(t.kv, t.space, await loadSnapshot(weeklyDir));
    const changes = await publishChanges(t.kv, t.space, await loadSnapshot(incDir), await loadSnapshot(weeklyDir));
    await t.kv.scan(`${t.space.prefix}:*`, (keys) => t.kv.del(keys));
    console.log(JSON.stringify({ publishFull: full, publishChanges: changes }));
    return { full, changes };
  } finally {
    await t.kv.close();
  }
}

function markdown(r: Awaited<ReturnType<typeof resultShape>>): string {
  const stageNames = ['ingest', 'graph', ...(r.embed ? ['embed', 'ann'] : []), 'candidates', 'pair-features', 'rank', 'lists'];
  const row = (t: Timed): string => `| ${t.run} | ${Number.isNaN(t.seconds) ? '–' : t.seconds} | ${stageNames.map((s) => t.stages[s] ?? '–').join(' | ')} |`;
  const rec = r.recallAt20 as Record<string, { users: number; overlap: number | null }>;
  const same = r.recallAt20SameModel as Record<string, { users: number; overlap: number | null }> | null;
  const p = r.publish as { full: { keysWritten: number; seconds: number }; changes: { keysWritten: number; keysDeleted: number; keysUnchanged: number; stalePacks: number; usersChanged: number; users: number; seconds: number } } | null;
  return [
    `# Incremental run (${r.users.toLocaleString('en')} users, ${r.grow * 100}% new connections: ${r.newEdges}, ${r.grow * 100}% new users)`,
    '',
    `${machineLine(r.machine)}. Command: \`${r.command}\`.`,
    '',
    `| run | wall s | ${stageNames.join(' | ')} |`,
    `|---|---:|${stageNames.map(() => '---:').join('|')}|`,
    ...r.runs.map(row),
    '',
    `Incremental run: **${(r.incrementalShareOfFull * 100).toFixed(1)}%** of the full run's wall time (target ≤ 15%); model kept: ${r.modelKept}.`,
    `Users recomputed: candidates ${pct(r.recomputedShare.candidates)}, pair features ${pct(r.recomputedShare['pair-features'])}, static lists ${pct(r.recomputedShare.lists)}.`,
    '',
    `Static lists' Recall@20 overlap with a full rerun — retrained (served: ${r.servedRetrained}, the weekly model: ${r.servedWeekly}), and with the weekly model kept (the incremental run's staleness alone):`,
    '',
    '| users | count | vs full rerun, retrained | vs full rerun, weekly model |',
    '|---|---:|---:|---:|',
    ...Object.entries(rec).map(([k, v]) => `| ${k} | ${v.users.toLocaleString('en')} | ${v.overlap ?? '–'} | ${same?.[k]?.overlap ?? '–'} |`),
    '',
    ...(p
      ? [
          `Publish: full ${p.full.keysWritten.toLocaleString('en')} keys in ${p.full.seconds} s; \`publish --since\` wrote ${p.changes.keysWritten.toLocaleString('en')} and deleted ${p.changes.keysDeleted.toLocaleString('en')} keys (users touched ${p.changes.usersChanged.toLocaleString('en')} of ${p.changes.users.toLocaleString('en')}), left ${p.changes.keysUnchanged.toLocaleString('en')} untouched (${p.changes.stalePacks.toLocaleString('en')} of them profile packs of unaffected users that a full publish would rewrite for their candidates' new degrees), in ${p.changes.seconds} s.`,
          '',
        ]
      : []),
    ...(r.embed ? embedMarkdown(r.embed as EmbedReport, r.embedComparison as EmbedComparison) : []),
  ].join('\n');
}

interface EmbedReport {
  incremental: Record<string, number | boolean | string | null>;
  ann: Record<string, number | boolean | string | null>;
  full: Record<string, number | boolean | string | null>;
  fullAnn: Record<string, number | boolean | string | null>;
}

function embedMarkdown(e: EmbedReport, c: EmbedComparison): string[] {
  const i = e.incremental;
  const a = e.ann;
  const pair = (x: { affected: number; others: number }): string => `${x.affected} | ${x.others}`;
  return [
    `Embeddings: the incremental run kept the weekly encoder (kept: ${i.kept}) and re-embedded ${Number(i.reembedded).toLocaleString('en')} of ${Number(i.users).toLocaleString('en')} users ` +
      `(${pct(Number(i.reembedded) / Number(i.users))}; connections changed or new: ${i.connectionsChanged}, profiles changed: ${i.inputsChanged}) in ${Number(i.inferSeconds).toFixed(1)} s; ` +
      `the full run trained ${Number(e.full.trainEdges).toLocaleString('en')} edges in ${Number(e.full.trainSeconds).toFixed(1)} s and embedded everyone in ${Number(e.full.inferSeconds).toFixed(1)} s.`,
    a.incremental
      ? `ANN: kept the weekly main index; recent tier ${Number(a.recent).toLocaleString('en')} users (new, or cos < ${RECENT_TIER_DEFAULTS.minCos} to the main index's vector), ${Number(a.tolerated).toLocaleString('en')} moved less and stay in the main index (smallest cos ${Number(a.minCosSeen).toFixed(4)}); built in ${Number(a.buildSeconds).toFixed(2)} s; recall@10 ${Number(a.recallAt10).toFixed(4)}, recent-tier users ${Number(a.recentRecallAt10).toFixed(4)} (full rebuild: ${Number(e.fullAnn.recallAt10).toFixed(4)}, ${Number(e.fullAnn.buildSeconds).toFixed(1)} s).`
      : `ANN: rebuilt (${a.why}); recall@10 ${a.recallAt10}.`,
    '',
    `Top-20 neighbours of sampled users (${c.sampled.affected} re-embedded, ${c.sampled.others} copied):`,
    '',
    '| comparison | re-embedded users | copied users |',
    '|---|---:|---:|',
    `| incremental bundle's served index vs exact over its vectors | ${pair(c.indexRecallAt20)} |`,
    `| incremental bundle's served index vs the full rerun's (retrained encoder) | ${pair(c.vsFullRerunAt20)} |`,
    ...(c.fineTune
      ? [
          `| mixed space (fine-tuned for re-embedded users, weekly vectors copied) vs the fine-tuned model's full re-embed, exact | ${pair(c.fineTune.mixedVsFineTunedAt20)} |`,
          `| frozen encoder (the incremental bundle) vs the fine-tuned model's full re-embed, exact | ${pair(c.fineTune.frozenVsFineTunedAt20)} |`,
          '',
          `Fine-tuning from the weekly checkpoint (the embed stage's budget: ${c.fineTune.trainEdges.toLocaleString('en')} edges) took ${c.fineTune.seconds} s, and moved the copied users' vectors to mean cos ${c.fineTune.meanCosCopiedToFineTuned} from the fine-tuned model's.`,
        ]
      : []),
    '',
  ];
}
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** The shape of the result object (for markdown's parameter type). */
declare function resultShape(): Promise<{
  machine: ReturnType<typeof machine>;
  command: string;
  users: number;
  grow: number;
  newEdges: string;
  runs: Timed[];
  incrementalShareOfFull: number;
  recomputedShare: Record<string, number>;
  modelKept: boolean;
  recallAt20: unknown;
  recallAt20SameModel: unknown;
  servedRetrained: unknown;
  servedWeekly: unknown;
  publish: unknown;
  embed: unknown;
  embedComparison: unknown;
}>;

await main();
