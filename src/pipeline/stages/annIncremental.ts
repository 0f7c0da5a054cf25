/**
 * The `ann` stage of an incremental run (`pymk pipeline --incremental --since BUNDLE`): keeps BUNDLE's main
 * index (hard-linked) and puts the users whose vectors moved into a small recent index, masked out of the
 * main one (ann/layered.ts serves the two as one); or rebuilds the whole index as a full run does when the
 * recent tier would pass `maxRecentFraction` of the indexed users.
 *
 * The main index is kept only when this run's vectors come from the same encoder as BUNDLE's (the incremental
 * embed stage keeps it; if that stage had to train, the index is rebuilt). Which users go to the recent tier: new users, and users whose vector's cosine to the one the main index
 * was built from (the f16 rows recorded as `mainVectors`, linked along from the bundle that built it) is
 * below `minCos`. A user that moved less stays in the main index: the graph routes by its old codes, but
 * serving re-ranks every candidate from this bundle's f32 vectors, so its distances are exact; the price is
 * a candidate the graph search finds a little less often — what the recall gate measures. Drift is measured
 * against the main index's vectors, not BUNDLE's, so it cannot creep over a chain of incremental runs.
 *
 * The gate: recall@10 of the served pair (re-ranked as serving runs it) against brute force over this
 * bundle's vectors, on sampled users and on sampled recent-tier users, both above `minRecall`, else the
 * stage fails and nothing is published.
 */
import { join } from 'node:path';
import { LayeredIndex } from '../../ann/layered.js';
import { BUNDLE_ANN_MANIFEST, type BundleAnnManifest } from '../../ann/open.js';
import { RecallOracle, isZero, sampledRecall } from '../../ann/quality.js';
import { openIndex } from '../../ann/registry.js';
import { openBundle, type Bundle } from '../../bundle/bundle.js';
import { PymkError } from '../../core/errors.js';
import { fromHalf } from '../../core/half.js';
import { linkOrCopy } from '../files.js';
import { stageParamsSha, type Stage, type StageContext } from '../stage.js';
import { patchProblem } from './affected.js';
import type { EmbeddingsMeta } from '../../embed/checkpoint.js';
import { ANN_INDEX_ARTIFACT, EMBEDDINGS_META, annParams, annStage, buildIndex, readEmbeddings, served, type AnnStageParams } from './ann.js';

export interface RecentTierParams {
  /** Rebuild instead when the recent tier (plus removed users) would hold more than this share of the indexed users. */
  maxRecentFraction: number;
  /** A user whose vector's cosine to the main index's vector is below this goes to the recent tier. */
  minCos: number;
}

/**
 * Measured on the 200k world after 1% new connections (docs/pipeline.md#embeddings-and-the-ann-index-in-an-incremental-run):
 * served recall@10 0.965 / 0.972 / 0.984 / 0.993 with minCos 0.98 / 0.99 / 0.995 / 0.998 (3% / 7% / 14% / 21%
 * of users in the recent tier), 0.995 with every re-embedded user there; so 0.998, and room for it.
 */
export const RECENT_TIER_DEFAULTS: RecentTierParams = { maxRecentFraction: 0.25, minCos: 0.998 };

/** Artifacts of the recent tier. */
export const RECENT_ARTIFACTS = {
  index: 'ann/recent.usearch',
  masked: 'ann/masked.bin',
  /** The f16 rows the kept main index was built from (linked from the bundle that built it). */
  mainVectors: 'ann/main-vectors-f16.bin',
} as const;

export function incrementalAnnStage(params: Partial<AnnStageParams> = {}, since: string, tier: RecentTierParams = RECENT_TIER_DEFAULTS): Stage {
  const full = annStage(params);
  const fullSha = stageParamsSha(full);
  const p = annParams(params);
  if (!(tier.maxRecentFraction >= 0 && tier.maxRecentFraction <= 1)) throw new PymkError('PYMK_BAD_PARAM', `maxRecentFraction must be in [0, 1], got ${tier.maxRecentFraction}`);
  if (!(tier.minCos >= -1 && tier.minCos <= 1)) throw new PymkError('PYMK_BAD_PARAM', `minCos must be in [-1, 1], got ${tier.minCos}`);
  return {
    name: 'ann',
    params: { params: p, incrementalSince: since, tier },
    async run(ctx) {
      const t0 = performance.now();
      const prev = await openBundle(since);
      const why = await unusable(ctx, prev, fullSha);
      const rebuild = async (reason: string): Promise<Record<string, unknown>> => {
        ctx.log(`building the whole index: ${reason}`);
        return { ...(await full.run(ctx)), incremental: false, why: reason, annParamsSha: fullSha };
      };
      if (why !== null) return rebuild(why);
      const pm = await prev.readJson<BundleAnnManifest>(BUNDLE_ANN_MANIFEST);
      const { vectors, dim, n, source } = await readEmbeddings(ctx);
      const mainRows = pm.mainVectors!;
      const main16 = (await prev.readArrays(mainRows, { vectors: 'uint16' })).vectors;
      const old = (await prev.readArrays(pm.vectors, { [pm.column]: 'float32' }))[pm.column] as Float32Array;
      const rows0 = main16.length / dim;
      if (!Number.isInteger(rows0) || old.length % dim !== 0) throw new PymkError('PYMK_BUNDLE_INVALID', `${prev.dir}: ${mainRows} or ${pm.vectors} is not a whole number of ${dim}-d rows`);
      const prevMasked = pm.recent ? (await prev.readArrays(pm.recent.masked, { ids: 'int32' })).ids : new Int32Array(0);
      const s = movedUsers(vectors, old, main16, dim, prevMasked, tier.minCos);
      const indexed = s.live;
      const moved = s.recent.length + s.removed.length;
      if (moved > tier.maxRecentFraction * Math.max(indexed, 1)) {
        return { ...(await rebuild(`${moved} of ${indexed} users would be in the recent tier or removed, above ${tier.maxRecentFraction * 100}%`)), recentWouldBe: s.recent.length, tolerated: s.tolerated };
      }
      // Keep the main index and the rows it was built from; the recent tier is built single-threaded (reproducible).
      for (const [from, to] of [
        [pm.index, ANN_INDEX_ARTIFACT],
        [`${pm.index}.json`, `${ANN_INDEX_ARTIFACT}.json`],
        [mainRows, RECENT_ARTIFACTS.mainVectors],
      ] as const) {
        await linkOrCopy(join(prev.dir, from), ctx.path(to));
        await ctx.addFile(to, prev.manifest.artifacts[from]?.kind);
      }
      const t1 = performance.now();
      const recent = buildIndex(p, vectors, dim, s.recent, { ...p.options, threads: 1 });
      const buildSeconds = (performance.now() - t1) / 1000;
      recent.save(ctx.path(RECENT_ARTIFACTS.index));
      await ctx.addFile(RECENT_ARTIFACTS.index);
      await ctx.addFile(`${RECENT_ARTIFACTS.index}.json`);
      const masked = Int32Array.from([...s.recent, ...s.removed].sort((a, b) => a - b));
      await ctx.writeArrays(RECENT_ARTIFACTS.masked, { ids: masked });
      const main = openIndex(ctx.path(ANN_INDEX_ARTIFACT), 'view');
      const layered = new LayeredIndex(served(p, main, vectors, dim), served(p, recent, vectors, dim), new Set(masked));
      const t2 = performance.now();
      const truth = new RecallOracle(vectors, dim, p.metric);
      const quality = sampledRecall(layered, vectors, dim, p.metric, 10, p.recallSample, 1, undefined, truth);
      const recentQuality = sampledRecall(layered, vectors, dim, p.metric, 10, p.recallSample, 2, s.recent, truth);
      const gateSeconds = (performance.now() - t2) / 1000;
      const size = layered.size();
      layered.close();
      for (const [what, q] of [['', quality], [' (recent-tier users)', recentQuality]] as const) {
        if (q.recall < p.minRecall) throw new PymkError('PYMK_STAGE_FAILED', `ANN recall@10${what} ${q.recall.toFixed(4)} is below the floor ${p.minRecall}`);
      }
      if (size !== indexed) throw new PymkError('PYMK_STAGE_FAILED', `the layered index serves ${size} users, the embeddings have ${indexed}`);
      const manifest: BundleAnnManifest = {
        ...pm,
        index: ANN_INDEX_ARTIFACT,
        vectors: source,
        column: 'vectors',
        count: indexed,
        rows: n,
        mainVectors: RECENT_ARTIFACTS.mainVectors,
        recent: { index: RECENT_ARTIFACTS.index, masked: RECENT_ARTIFACTS.masked, count: s.recent.length, maskedCount: masked.length, since: prev.version },
      };
      await ctx.writeJson(BUNDLE_ANN_MANIFEST, manifest);
      ctx.setSchema('ann', { kind: p.kind, metric: p.metric, dim, rerank: p.rerank, rerankTrust: p.rerankTrust, ...p.options });
      ctx.log(
        `kept the main index of ${prev.dir}; ${s.recent.length} users in the recent tier (new or moved below cos ${tier.minCos}), ${s.removed.length} removed, ` +
          `${s.tolerated} moved less and stay in the main index (re-ranked from the new vectors); recall@10 ${quality.recall.toFixed(4)}, recent-tier users ${recentQuality.recall.toFixed(4)}`,
      );
      return {
        incremental: true,
        users: n,
        indexed,
        dim,
        recent: s.recent.length,
        removed: s.removed.length,
        tolerated: s.tolerated,
        unchanged: s.unchanged,
        minCosSeen: s.minCosKept,
        buildSeconds,
        gateSeconds,
        recallAt10: quality.recall,
        recallQueries: quality.queries,
        recentRecallAt10: recentQuality.recall,
        recentRecallQueries: recentQuality.queries,
        annParamsSha: fullSha,
        seconds: Math.round(performance.now() - t0) / 1000,
      };
    },
  };
}

/** Why the earlier bundle's index cannot be kept (null: it can). */
async function unusable(ctx: StageContext, prev: Bundle, fullSha: string | undefined): Promise<string | null> {
  const r = prev.stage('ann');
  if (r === undefined || r.status !== 'done' || !prev.has(BUNDLE_ANN_MANIFEST)) return `${prev.dir} has no finished ann stage`;
  if (((r.metrics.annParamsSha as string | undefined) ?? r.paramsSha) !== fullSha) return `${prev.dir}'s index was made with other ann params`;
  // Vectors of another encoder are another space: the kept index's neighbourhoods would mean nothing.
  const [was, now] = [await prev.readJson<Partial<EmbeddingsMeta>>(EMBEDDINGS_META), await ctx.readJson<Partial<EmbeddingsMeta>>(EMBEDDINGS_META)];
  if (was.modelVersion !== now.modelVersion) return `this run's embeddings come from another encoder (${now.modelVersion}) than ${prev.dir}'s (${was.modelVersion})`;
  const pm = await prev.readJson<BundleAnnManifest>(BUNDLE_ANN_MANIFEST);
  if (!pm.mainVectors) return `${prev.dir}'s index does not record the vectors it was built from`;
  const needs = [pm.index, `${pm.index}.json`, pm.mainVectors, pm.vectors, ...(pm.recent ? [pm.recent.masked] : [])];
  return patchProblem(ctx, prev, needs);
}

interface Moved {
  /** Users for the recent tier (new, or moved below minCos), ascending. */
  recent: Int32Array;
  /** Users the main index holds who have no vector now. */
  removed: Int32Array;
  /** Users whose vector changed but stayed within minCos of the main index's. */
  tolerated: number;
  unchanged: number;
  /** Users with a vector now. */
  live: number;
  /** The smallest cosine among the tolerated users (1 when none). */
  minCosKept: number;
}

/**
 * Sorts the users by how their vector relates to the main index's: `old` are the earlier bundle's vectors
 * and `prevMasked` the users its recent tier covered; every other user of the earlier bundle has in `old`
 * a vector whose drift from `main16` was already accepted, so only changed rows and `prevMasked` are measured.
 */
export function movedUsers(vectors: Float32Array, old: Float32Array, main16: Uint16Array, dim: number, prevMasked: Int32Array, minCos: number): Moved {
  const n = vectors.length / dim;
  const n0 = old.length / dim;
  const rows0 = main16.length / dim;
  const masked = new Uint8Array(n);
  for (const u of prevMasked) if (u < n) masked[u] = 1;
  const recent: number[] = [];
  const removed: number[] = [];
  let tolerated = 0;
  let unchanged = 0;
  let live = 0;
  let minCosKept = 1;
  for (let u = 0; u < n; u++) {
    const o = u * dim;
    const now = !isZero(vectors, u, dim);
    if (now) live++;
    let same = u < n0 && !masked[u];
    for (let k = 0; same && k < dim; k++) if (!Object.is(vectors[o + k], old[o + k])) same = false;
    if (same) {
      unchanged++;
      continue;
    }
    let inMain = false; // the main index holds the users whose rows it was built from are not all zeros
    if (u < rows0) for (let k = 0; k < dim && !inMain; k++) inMain = main16[o + k] !== 0;
    if (!now) {
      if (inMain) removed.push(u);
      continue;
    }
    if (!inMain) {
      recent.push(u);
      continue;
    }
    let dot = 0;
    let mm = 0;
    let vv = 0;
    for (let k = 0; k < dim; k++) {
      const m = fromHalf(main16[o + k]);
      dot += vectors[o + k] * m;
      mm += m * m;
      vv += vectors[o + k] * vectors[o + k];
    }
    const cos = dot / (Math.sqrt(mm * vv) || 1);
    if (cos < minCos) recent.push(u);
    else {
      tolerated++;
      if (cos < minCosKept) minCosKept = cos;
    }
  }
  return { recent: Int32Array.from(recent), removed: Int32Array.from(removed), tolerated, unchanged, live, minCosKept };
}
