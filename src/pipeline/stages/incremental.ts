/**
 * The incremental candidates stage (`pymk pipeline --incremental --since BUNDLE`): recomputes the 2-hop
 * candidates of the users whose own connections changed since BUNDLE (added or removed, new users, a changed
 * deactivated/banned flag) and copies every other user's rows from BUNDLE.
 *
 * The recomputed rows are exactly what a full run computes. The copied rows are exact only for users whose
 * neighbours' connections did not change either: a user next to a changed one (a common neighbour gained a
 * connection) keeps last run's list until the next full run. Exact incremental 2-hop would recompute the
 * changed users' neighbours too, which on a mean-degree-25 graph is almost everyone (48% of users for 0.1%
 * new connections, 94% for 1%, measured on the generator's 200k world: docs/pipeline.md), so the stale rows
 * are the price of an incremental run; how much they cost is measured as the overlap with a full run.
 * Dense ids must be stable: the earlier bundle's ids a prefix of this run's (append-only sources);
 * otherwise the stage computes every user, saying why.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ARTIFACTS, CANDIDATE_COLUMNS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle, type Bundle } from '../../bundle/bundle.js';
import { ColumnStreamWriter } from '../../bundle/columnStream.js';
import { readIds } from '../../bundle/read.js';
import { Graph } from '../../graph/csr.js';
import { HEURISTIC_NAMES } from '../../graph/heuristics.js';
import { TwoHopGenerator } from '../../graph/twoHop.js';
import type { Stage, StageContext } from '../stage.js';
import { CANDIDATE_DEFAULTS, exclusionMask, streamCandidates, type CandidateParams } from './candidates.js';

/** Users per appended chunk. */
const CHUNK_USERS = 2048;

export function incrementalCandidatesStage(params: CandidateParams = CANDIDATE_DEFAULTS, since: string): Stage {
  return {
    name: 'candidates',
    params: { params, incrementalSince: since },
    async run(ctx) {
      const t0 = performance.now();
      const prev = await openBundle(since);
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const n = gc.offsets.length - 1;
      const g = new Graph(n, gc.offsets, gc.targets, gc.times);
      const { flags } = await ctx.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
      const exclude = exclusionMask(flags);
      await mkdir(dirname(ctx.path(ARTIFACTS.candidates)), { recursive: true });
      const out = await ColumnStreamWriter.open(ctx.path(ARTIFACTS.candidates), CANDIDATE_COLUMNS);
      let stats: Record<string, unknown>;
      try {
        const why = await unusable(ctx, prev);
        if (why !== null) {
          ctx.log(`computing every user: ${why}`);
          const s = await streamCandidates(g, exclude, params, {}, out);
          stats = { incremental: false, why, users: s.users, recomputed: s.users, copied: 0, candidates: s.candidates };
        } else stats = await patch(ctx, prev, g, exclude, params, out);
      } catch (e) {
        await out.close();
        throw e;
      }
      await ctx.writeArrayStream(ARTIFACTS.candidates, out.chunks());
      ctx.setSchema('candidates', { source: '2-hop', score: params.score, topN: params.topN, features: [...HEURISTIC_NAMES] });
      return { ...params, ...stats, since: prev.version, seconds: Math.round(performance.now() - t0) / 1000 };
    },
  };
}

/** Why the earlier bundle cannot be patched (null: it can). */
async function unusable(ctx: StageContext, prev: Bundle): Promise<string | null> {
  if (!prev.has(ARTIFACTS.candidates)) return `${prev.dir} has no candidates`;
  const was = prev.stage('candidates')?.metrics as Partial<CandidateParams> | undefined;
  const p = ctx.params as { candidates?: CandidateParams } | null;
  const keys = ['topN', 'score', 'maxFanout', 'hubMode', 'exactFeatures'] as const;
  if (was && p?.candidates && keys.some((k) => was[k] !== p.candidates![k])) return `${prev.dir} was built with other candidate parameters`;
  const before = await readIds(prev);
  const now = await readIds(ctx);
  if (now.size < before.size) return `${prev.dir} has more users (${before.size}) than this run (${now.size})`;
  for (let u = 0; u < before.size; u++) {
    if (before.value(u) !== now.value(u)) return `user ids are not stable: dense id ${u} was ${JSON.stringify(before.value(u))}, is ${JSON.stringify(now.value(u))}`;
  }
  return null;
}

/** Which users' own rows changed: connections added or removed, new users, the exclusion flag changed. */
export function changedUsers(prev: Graph, prevExclude: Uint8Array, cur: Graph, exclude: Uint8Array): Uint8Array {
  const changed = new Uint8Array(cur.n);
  for (let u = 0; u < cur.n; u++) {
    if (u >= prev.n || prevExclude[u] !== exclude[u]) {
      changed[u] = 1;
      continue;
    }
    const a = prev.neighbors(u);
    const b = cur.neighbors(u);
    if (a.length !== b.length) changed[u] = 1;
    else for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) (changed[u] = 1), (i = a.length);
  }
  return changed;
}

async function patch(ctx: StageContext, prev: Bundle, g: Graph, exclude: Uint8Array, params: CandidateParams, out: ColumnStreamWriter<typeof CANDIDATE_COLUMNS>): Promise<Record<string, unknown>> {
  const pg = await prev.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
  const pn = pg.offsets.length - 1;
  const prevExclude = exclusionMask((await prev.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS)).flags);
  const changed = changedUsers(new Graph(pn, pg.offsets, pg.targets, pg.times), prevExclude, g, exclude);
  const old = await prev.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
  const gen = new TwoHopGenerator(g, { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: params.hubMode, exactFeatures: params.exactFeatures, exclude });
  const rowCols = ['cand', 'score', ...HEURISTIC_NAMES] as const;
  await out.append({ offsets: Int32Array.of(0) });
  let total = 0;
  let recomputed = 0;
  const bar = ctx.progress('2-hop candidates (changed users)', g.n);
  for (let lo = 0; lo < g.n; lo += CHUNK_USERS) {
    const hi = Math.min(g.n, lo + CHUNK_USERS);
    const parts: Record<string, (Int32Array | Float32Array)[]> = Object.fromEntries(rowCols.map((c) => [c, []]));
    const offsets = new Int32Array(hi - lo);
    for (let u = lo; u < hi; ) {
      if (changed[u] === 1) {
        const k = gen.run(u);
        parts.cand.push(gen.cand.slice(0, k));
        parts.score.push(gen.score.slice(0, k));
        for (const h of HEURISTIC_NAMES) parts[h].push(gen.features[h].slice(0, k));
        total += k;
        recomputed++;
        offsets[u - lo] = total;
        u++;
        continue;
      }
      // A run of unchanged users is copied as one slice of each column.
      let v = u;
      while (v < hi && changed[v] === 0) {
        offsets[v - lo] = total + old.offsets[v + 1] - old.offsets[u];
        v++;
      }
      const [a, z] = [old.offsets[u], old.offsets[v]];
      parts.cand.push(old.cand.subarray(a, z));
      parts.score.push(old.score.subarray(a, z));
      for (const h of HEURISTIC_NAMES) parts[h].push(old[h].subarray(a, z));
      total += z - a;
      u = v;
    }
    await out.append({ offsets, ...Object.fromEntries(rowCols.map((c) => [c, concat(parts[c])])) });
    bar.update(hi);
  }
  bar.done();
  ctx.log(`recomputed ${recomputed} of ${g.n} users (connections or flags changed, or new), copied the others from ${join(prev.dir, ARTIFACTS.candidates)}`);
  return { incremental: true, users: g.n, recomputed, copied: g.n - recomputed, newUsers: g.n - pn, candidates: total };
}

function concat<T extends Int32Array | Float32Array>(parts: T[]): T {
  const len = parts.reduce((a, p) => a + p.length, 0);
  const C = parts[0].constructor as new (n: number) => T;
  const out = new C(len);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
