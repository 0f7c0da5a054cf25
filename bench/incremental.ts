/**
 * An incremental run against a full run on a grown world.
 *
 *   node dist/bench/incremental.js --data DIR [--grow 0.01] [--seed 1] [--work /tmp/pymk-incremental] [--no-rank] [--keep]
 *
 * Builds a full bundle of DIR (the "weekly" run), grows a copy of DIR by `--grow` new connections between
 * existing users and `--grow` new users (3 connections each), all dated a day after the data, then runs
 * `--incremental --since` the first bundle and a full run on the grown copy (embeddings off: the
 * incremental path does not cover them). Prints each run's wall time and stages, the share of users
 * recomputed, and the static lists' Recall@20 overlap with the full run for the changed users, their
 * neighbours (whose copied rows are stale) and the rest.
 */
import { appendFile, cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readArrays } from '../src/bundle/binary.js';
import { openBundle } from '../src/bundle/bundle.js';
import { GRAPH_COLUMNS, LIST_COLUMNS, PROFILE_COLUMNS } from '../src/bundle/artifacts.js';
import { Rng } from '../src/core/rng.js';
import { Graph } from '../src/graph/csr.js';
import { runPipeline, type RunResult } from '../src/pipeline/runner.js';
import { exclusionMask } from '../src/pipeline/stages/candidates.js';
import { changedUsers } from '../src/pipeline/stages/affected.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../src/pipeline/stages/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const data = arg('data', '');
const grow = Number(arg('grow', '0.01'));
const work = arg('work', '/tmp/pymk-incremental');
const seed = Number(arg('seed', '1'));
const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, embed: false, ...(process.argv.includes('--no-rank') && { rank: false as const }) };
const quiet = { progress: 'silent' as const, log: () => {} };

async function timed(name: string, run: () => Promise<RunResult>): Promise<RunResult> {
  const t0 = performance.now();
  const r = await run();
  const stages = Object.fromEntries(r.manifest.stages.map((s) => [s.name, s.reused ? 'reused' : +((s.ms ?? 0) / 1000).toFixed(1)]));
  console.log(JSON.stringify({ run: name, seconds: +((performance.now() - t0) / 1000).toFixed(1), stages }));
  return r;
}

async function main(): Promise<void> {
  // --keep: take the "before" bundle from an earlier run of this benchmark when it is there and complete.
  const kept = process.argv.includes('--keep') ? await openBundle(join(work, 'weekly')).catch(() => null) : null;
  if (!kept) await rm(work, { recursive: true, force: true });
  await rm(join(work, 'grown'), { recursive: true, force: true });
  const weekly = kept
    ? ({ dir: kept.dir, manifest: kept.manifest, ran: [], reused: [] } as RunResult)
    : await timed('full (before)', () => runPipeline({ out: join(work, 'weekly'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet }));
  const grown = join(work, 'grown');
  await cp(data, grown, { recursive: true });
  const lines = (await readFile(join(data, 'connections.csv'), 'utf8')).trim().split('\n');
  const n0 = (JSON.parse(await readFile(join(weekly.dir, 'users/ids.json'), 'utf8')) as string[]).length;
  const ts = lines.slice(1).reduce((m, l) => Math.max(m, Number(l.split(',')[2]) || 0), 0) + 86_400;
  const ids = JSON.parse(await readFile(join(weekly.dir, 'users/ids.json'), 'utf8')) as string[];
  const rng = new Rng(seed);
  const added: string[] = [];
  for (let i = 0; i < Math.round((lines.length - 1) * grow); i++) added.push(`${ids[rng.int(n0)]},${ids[rng.int(n0)]},${ts}`);
  for (let j = 0; j < Math.round(n0 * grow); j++) for (let k = 0; k < 3; k++) added.push(`grown${j},${ids[rng.int(n0)]},${ts}`);
  await appendFile(join(grown, 'connections.csv'), `${added.join('\n')}\n`);
  const inc = await timed('incremental', () =>
    runPipeline({ out: join(work, 'inc'), stages: defaultStages(PARAMS, { incrementalFrom: weekly.dir }), inputs: { data: grown }, params: PARAMS, reuseFrom: weekly.dir, ...quiet }),
  );
  const full = await timed('full (after)', () => runPipeline({ out: join(work, 'full'), stages: defaultStages(PARAMS), inputs: { data: grown }, params: PARAMS, ...quiet }));

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
  const lf = await readArrays(join(full.dir, 'lists/static.bin'), LIST_COLUMNS);
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
  const m = inc.manifest.stages.find((s) => s.name === 'candidates')!.metrics as { recomputed: number; users: number };
  const cf = full.manifest.stages.find((s) => s.name === 'candidates')!;
  const ci = inc.manifest.stages.find((s) => s.name === 'candidates')!;
  console.log(
    JSON.stringify({
      users: g1.n,
      recomputedShare: +(m.recomputed / m.users).toFixed(4),
      candidatesSeconds: { incremental: +((ci.ms ?? 0) / 1000).toFixed(1), full: +((cf.ms ?? 0) / 1000).toFixed(1) },
      recallAt20: Object.fromEntries(Object.entries(groups).map(([k, [s, c]]) => [k, { users: c, overlap: c ? +(s / c).toFixed(4) : null }])),
    }),
  );
}

await main();
