/**
 * Stage: user embeddings. Trains the GraphSAGE encoder and profile tower on the bundle's graph and
 * profiles — or fine-tunes the checkpoint of the bundle this run replaces, with a smaller budget — then
 * embeds every user layer-wise and writes (names in src/embed/checkpoint.ts EMBED_ARTIFACTS):
 *   embeddings/users.bin      vectors float32 (users × dim, unit norm), source uint8 (0 GNN, 1 tower)
 *   embeddings/users-f16.bin  vectors uint16 (binary16 bits)
 *   embeddings/users-i8.bin   vectors int8, scale float32[1]
 *   embeddings/users.json     dim, normalisation, metric, model version, files
 *   embeddings/model.bin/json the checkpoint (the next run fine-tunes from it; serving's embedProfile uses it)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Dictionary } from '../../core/dictionary.js';
import { PymkError } from '../../core/errors.js';
import { PROFILE_FIELDS, type ProfileTable } from '../../core/tables.js';
import { EMBED_ARTIFACTS, loadBundleModel, modelColumns, modelMeta, type EmbeddingsMeta } from '../../embed/checkpoint.js';
import { embedUsers } from '../../embed/embedUsers.js';
import { ARCHITECTURE, growModel, type Model } from '../../embed/model.js';
import { toF16, toI8 } from '../../embed/quantize.js';
import type { TrainOptions } from '../../embed/train.js';
import { Graph } from '../../graph/csr.js';
import { ARTIFACTS, GRAPH_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle } from '../../bundle/bundle.js';
import { MANIFEST_FILE } from '../../bundle/manifest.js';
import type { Progress } from '../../core/progress.js';
import { readIds, readProfiles } from '../../bundle/read.js';
import type { Stage, StageContext } from '../stage.js';

export interface EmbedParams {
  train: Partial<TrainOptions>;
  /**
   * 'previous' (default): fine-tune from the checkpoint of the bundle this run replaces when it has one,
   * else train from scratch; 'none': always train from scratch; otherwise a bundle folder to start from.
   */
  resumeFrom: string;
  /** Fine-tuning runs this share of the budget (train.epochs and train.maxEdges) at this factor of the learning rate. */
  fineTuneEpochs: number;
  fineTuneLr: number;
  /** Neighbours averaged per layer when embedding everyone (more than in training: less noise). */
  inferFanouts: [number, number];
}

export const EMBED_DEFAULTS: EmbedParams = {
  train: { dim: 128, hidden: 128, identity: false, fanouts: [5, 5], epochs: 2, maxEdges: 300_000 },
  resumeFrom: 'previous',
  fineTuneEpochs: 0.3,
  fineTuneLr: 0.5,
  inferFanouts: [20, 20],
};

/** The checkpoint to start from, with its identity rows re-keyed to this bundle's user ids; null = none. */
async function startingModel(from: string, ids: Dictionary, log: (s: string) => void): Promise<Model | null> {
  if (from === 'none') return null;
  if (!existsSync(join(from, MANIFEST_FILE))) {
    log(`no earlier bundle at ${from}: training the encoder from scratch (a later run there fine-tunes from this one)`);
    return null;
  }
  let b;
  try {
    b = await openBundle(from);
  } catch (e) {
    // The bundle to fine-tune from is optional: a refusal is logged with the reason.
    log(`refused the bundle at ${from} to fine-tune from (${e instanceof Error ? e.message : String(e)}): training from scratch`);
    return null;
  }
  const m = await loadBundleModel(b);
  if (!m) {
    log(`${from} has no embedding checkpoint: training from scratch`);
    return null;
  }
  return rekeyIdentity(m, await readIds(b), ids);
}

/** The model with its identity rows (if any) moved from the users' ids in `old` to their ids in `ids` (new users: zero rows). */
export function rekeyIdentity(m: Model, old: Dictionary, ids: Dictionary): Model {
  if (!m.config.identity) return m;
  // Dense ids may differ between bundles: move each identity row to the user's new id (new users: zero).
  const h = m.config.hidden;
  const grown = growModel({ ...m, users: 0, params: { ...m.params, I: new Float32Array(0) } }, ids.size);
  for (let u = 0; u < ids.size; u++) {
    const o = old.lookup(ids.value(u));
    if (o >= 0 && o < m.users) grown.params.I.set(m.params.I.subarray(o * h, (o + 1) * h), u * h);
  }
  return grown;
}

/** Whether any user has any profile value. */
function anyProfile(p: ProfileTable): boolean {
  for (const f of PROFILE_FIELDS) if (p.codes[f].some((c) => c >= 0)) return true;
  return p.seniority.some((v) => v >= 0) || p.joinedAt.some((v) => v > 0);
}

/**
 * Refuses to use the checkpoint of `previous` on users none of whom has a profile: its profile tower was
 * trained on profile values, and fine-tuning it (or embedding with it) on none collapses the vectors (the
 * operator's run failed two stages later at the ANN recall floor). Fails here, naming why.
 */
export function checkProfilesFor(profiles: ProfileTable, n: number, what: string, previous: string): void {
  if (n === 0 || anyProfile(profiles)) return;
  throw new PymkError(
    'PYMK_BAD_INPUT',
    `every one of the ${n} users has an empty profile (the profile file is empty, unusable or missing): refusing to ${what} ` +
      `the checkpoint of ${previous} on them; fix the profile file (see data/import-report.json), or train from scratch with "embed": {"resumeFrom": "none"}`,
  );
}

/** Writes the vectors in every form (f32 + source, f16, i8) and their description; returns the description. */
export async function writeEmbeddings(ctx: StageContext, vectors: Float32Array, source: Uint8Array, dim: number, modelVersion: string): Promise<EmbeddingsMeta> {
  const n = source.length;
  await ctx.writeArrays(EMBED_ARTIFACTS.vectors, { vectors, source });
  await ctx.writeArrays(EMBED_ARTIFACTS.vectorsF16, { vectors: toF16(vectors) });
  const i8 = toI8(vectors);
  await ctx.writeArrays(EMBED_ARTIFACTS.vectorsI8, { vectors: i8.codes, scale: Float32Array.of(i8.scale) });
  let tower = 0;
  for (let u = 0; u < n; u++) tower += source[u];
  const desc: EmbeddingsMeta = {
    format: 'pymk-embeddings',
    version: 1,
    count: n,
    dim,
    normalization: 'l2',
    metric: 'dot',
    modelVersion,
    architecture: ARCHITECTURE,
    sources: { gnn: n - tower, tower },
    files: {
      f32: { artifact: EMBED_ARTIFACTS.vectors, column: 'vectors', dtype: 'float32' },
      f16: { artifact: EMBED_ARTIFACTS.vectorsF16, column: 'vectors', dtype: 'uint16', encoding: 'binary16' },
      i8: { artifact: EMBED_ARTIFACTS.vectorsI8, column: 'vectors', dtype: 'int8', scale: i8.scale, offset: 0 },
    },
  };
  await ctx.writeJson(EMBED_ARTIFACTS.meta, desc);
  ctx.setSchema('embeddings', { dim, normalization: 'l2', metric: 'dot', modelVersion, artifact: EMBED_ARTIFACTS.vectors });
  return desc;
}

export function embedStage(params: EmbedParams = EMBED_DEFAULTS): Stage {
  return {
    name: 'embed',
    params,
    async run(ctx) {
      const ids = await readIds(ctx);
      const n = ids.size;
      const profiles = await readProfiles(ctx, n);
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const g = new Graph(n, gc.offsets, gc.targets, gc.times);
      // The bundle this run replaces is the staging folder's name without '.partial' (pipeline/runner.ts).
      const previous = params.resumeFrom === 'previous' ? ctx.dir.replace(/\.partial$/, '') : params.resumeFrom;
      const init = await startingModel(previous, ids, (s) => ctx.log(s));
      if (init) checkProfilesFor(profiles, n, 'fine-tune', previous);
      if (init) ctx.log(`fine-tuning from ${previous}`);

      const bars: { train: Progress | null; infer: Progress | null } = { train: null, infer: null };
      const r = embedUsers(g, profiles, {
        train: params.train,
        init,
        fineTuneEpochs: params.fineTuneEpochs,
        fineTuneLr: params.fineTuneLr,
        inferFanouts: params.inferFanouts,
        log: (s) => ctx.log(s),
        onTrainProgress: (p) => {
          bars.train ??= ctx.progress('embed: train (positive edges)', p.plannedEdges);
          bars.train.update(Math.min(p.edges, p.plannedEdges));
        },
        onInferProgress: (done, total) => {
          bars.train?.done();
          bars.infer ??= ctx.progress('embed: infer (users)', total);
          bars.infer.update(done);
        },
      });
      bars.train?.done();
      bars.infer?.done();

      const d = r.model.config.dim;
      const training = { ...r.train.stats, validAuc: r.train.best.validAuc, fineTunedFrom: r.fineTuned ? previous : null };
      const meta = modelMeta(r.model, training);
      const desc = await writeEmbeddings(ctx, r.vectors, r.source, d, meta.modelVersion);
      const tower = desc.sources.tower;
      await ctx.writeArrays(EMBED_ARTIFACTS.model, modelColumns(r.model));
      await ctx.writeJson(EMBED_ARTIFACTS.modelMeta, meta);
      ctx.log(`${n} users embedded (${tower} by the profile tower); ${Math.round(r.train.stats.edgesPerSecond)} training edges/s, inference ${r.inferSeconds.toFixed(1)} s`);
      return {
        users: n,
        dim: d,
        modelVersion: meta.modelVersion,
        fineTuned: r.fineTuned,
        trainEdges: r.train.stats.edges,
        trainSeconds: r.train.stats.seconds,
        trainEdgesPerSecond: Math.round(r.train.stats.edgesPerSecond),
        validAuc: r.train.best.validAuc,
        stopped: r.train.stats.stopped,
        inferSeconds: r.inferSeconds,
        inferUsersPerSecond: Math.round(n / Math.max(r.inferSeconds, 1e-9)),
        towerUsers: tower,
      };
    },
  };
}
