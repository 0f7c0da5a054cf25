/**
 * The `embed` stage of an incremental run (`pymk pipeline --incremental --since BUNDLE`): keeps BUNDLE's
 * encoder frozen and re-embeds only the users whose vector it would change (embed/affected.ts: new users,
 * users whose connections or profile changed, and the users whose sampled 2-hop neighbourhood holds one);
 * every other user's vector is copied from BUNDLE. The weekly full run retrains (or fine-tunes).
 *
 * Why frozen, not fine-tuned: a fine-tuned encoder moves the whole space, so its vectors for the affected
 * users would sit next to the old model's vectors for everyone else — two spaces mixed in one index — and
 * fine-tuning alone costs several times the rest of an incremental run (docs/pipeline.md#incremental-runs,
 * measured). With the encoder frozen, the copied vectors are exactly what re-embedding them would give
 * (same model, same samples, same arithmetic), so the bundle's vectors are bit-identical to a full
 * re-embed of the grown graph by BUNDLE's model.
 *
 * The model files are hard-linked from BUNDLE with its record. When BUNDLE has no finished embed stage,
 * no checkpoint, or was made with other embed params, the stage runs as in a full run, saying why. With
 * unstable dense ids it embeds every user with the frozen model (identity rows re-keyed).
 */
import { join } from 'node:path';
import { ARTIFACTS, GRAPH_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle, type Bundle } from '../../bundle/bundle.js';
import { readIds, readProfiles } from '../../bundle/read.js';
import { PymkError } from '../../core/errors.js';
import { affectedEmbeddings } from '../../embed/affected.js';
import { EMBED_ARTIFACTS, loadBundleModel } from '../../embed/checkpoint.js';
import { inputsFor, subsetInputs } from '../../embed/embedUsers.js';
import type { ProfileSpec } from '../../embed/features.js';
import { embedAll, towerAll } from '../../embed/infer.js';
import type { Model } from '../../embed/model.js';
import { TRAIN_DEFAULTS } from '../../embed/train.js';
import { Graph } from '../../graph/csr.js';
import { linkOrCopy } from '../files.js';
import { stageParamsSha, type Metrics, type Stage, type StageContext } from '../stage.js';
import { patchProblem } from './affected.js';
import { EMBED_DEFAULTS, checkProfilesFor, embedStage, rekeyIdentity, writeEmbeddings, type EmbedParams } from './embed.js';

export function keptEmbedStage(params: EmbedParams = EMBED_DEFAULTS, since: string): Stage {
  const full = embedStage(params);
  const fullSha = stageParamsSha(full);
  return {
    name: 'embed',
    params: { params, incrementalSince: since },
    async run(ctx) {
      const prev = await openBundle(since);
      const r = prev.stage('embed');
      const madeWith = (r?.metrics.embedParamsSha as string | undefined) ?? r?.paramsSha;
      let why = r === undefined || r.status !== 'done' ? `${prev.dir} has no finished embed stage` : madeWith !== fullSha ? `${prev.dir}'s embeddings were made with other embed params` : null;
      const model = why === null ? await loadBundleModel(prev) : null;
      if (why === null && !model) why = `${prev.dir} has no embedding checkpoint`;
      if (why === null && model!.config.inputs.kind !== 'profile') why = `${prev.dir}'s encoder does not read profiles`;
      if (why !== null || !model || !r) {
        ctx.log(`training as a full run does: ${why}`);
        return { ...(await full.run(ctx)), kept: false, why };
      }
      const t0 = performance.now();
      const out = await reembed(ctx, prev, model, params);
      for (const a of [EMBED_ARTIFACTS.model, EMBED_ARTIFACTS.modelMeta]) {
        await linkOrCopy(join(prev.dir, a), ctx.path(a));
        await ctx.addFile(a, prev.manifest.artifacts[a].kind);
      }
      const trainedIn = (r.metrics.trainedIn as string | undefined) ?? prev.version;
      const modelVersion = out.modelVersion;
      ctx.log(
        `kept the encoder of ${trainedIn}; re-embedded ${out.reembedded} of ${out.users} users ` +
          `(${out.incremental ? `connections changed or new: ${out.connectionsChanged}, profiles changed: ${out.inputsChanged}, and their sampled 2-hop neighbourhood` : `everyone: ${out.why}`}), copied the others from ${join(prev.dir, EMBED_ARTIFACTS.vectors)}`,
      );
      return { ...out, modelVersion, kept: true, trainedIn, embedParamsSha: fullSha, seconds: Math.round(performance.now() - t0) / 1000 };
    },
  };
}

interface Reembedded extends Metrics {
  users: number;
  dim: number;
  modelVersion: string;
  incremental: boolean;
  why: string | null;
  reembedded: number;
  copied: number;
  connectionsChanged: number | null;
  inputsChanged: number | null;
  inferSeconds: number;
  towerUsers: number;
}

/** Embeds the run's users with `model`: only the affected ones when `prev`'s vectors can be patched, else everyone. */
async function reembed(ctx: StageContext, prev: Bundle, model: Model, params: EmbedParams): Promise<Reembedded> {
  const ids = await readIds(ctx);
  const n = ids.size;
  const profiles = await readProfiles(ctx, n);
  checkProfilesFor(profiles, n, 'embed with', prev.dir);
  const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
  const g = new Graph(n, gc.offsets, gc.targets, gc.times);
  const spec = model.config.inputs as ProfileSpec;
  const { inputs } = inputsFor(profiles, n, spec);
  const d = model.config.dim;
  // The inference settings of embedUsers (embed/embedUsers.ts), so a re-embedded row is what a full pass gives.
  const seed = { ...TRAIN_DEFAULTS, ...params.train }.seed;
  const fanouts = params.inferFanouts;
  const why = await patchProblem(ctx, prev, [EMBED_ARTIFACTS.vectors, ARTIFACTS.graph, ARTIFACTS.profiles]);
  let only: Uint8Array | undefined;
  let into: Float32Array | undefined;
  let source = new Uint8Array(n);
  let counts: { connectionsChanged: number | null; inputsChanged: number | null; reembedded: number } = { connectionsChanged: null, inputsChanged: null, reembedded: n };
  let m = model;
  if (why === null) {
    const n0 = (await readIds(prev)).size;
    const pg = await prev.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
    const g0 = new Graph(n0, pg.offsets, pg.targets, pg.times);
    const i0 = inputsFor(await readProfiles(prev, n0), n0, spec).inputs;
    const old = await prev.readArrays(EMBED_ARTIFACTS.vectors, { vectors: 'float32', source: 'uint8' });
    if (old.vectors.length !== n0 * d || old.source.length !== n0) {
      throw new PymkError('PYMK_BUNDLE_INVALID', `${join(prev.dir, EMBED_ARTIFACTS.vectors)}: ${old.vectors.length} floats and ${old.source.length} sources for ${n0} users × ${d}`);
    }
    const a = affectedEmbeddings(g0, i0, g, inputs, fanouts, seed);
    only = a.marked;
    into = new Float32Array(n * d);
    into.set(old.vectors);
    source.set(old.source);
    counts = { connectionsChanged: a.connectionsChanged, inputsChanged: a.inputsChanged, reembedded: a.count };
  } else {
    ctx.log(`embedding every user with the kept encoder: ${why}`);
    m = rekeyIdentity(model, await readIds(prev), ids);
    source = new Uint8Array(n);
  }
  const bar = ctx.progress('embed: infer (affected users)', counts.reembedded);
  const t0 = performance.now();
  const vectors = embedAll(m, g, inputs, { fanouts, seed, only, into, onProgress: (done) => bar.update(done) });
  bar.done();
  // Users without connections get the profile tower's vector, as in embedUsers.
  const isolated: number[] = [];
  for (let u = 0; u < n; u++) {
    if (only && !only[u]) continue;
    source[u] = g.degree(u) === 0 ? 1 : 0;
    if (source[u]) isolated.push(u);
  }
  if (isolated.length > 0) {
    const t = towerAll(m, subsetInputs(inputs, isolated));
    isolated.forEach((u, i) => vectors.set(t.subarray(i * d, (i + 1) * d), u * d));
  }
  const inferSeconds = (performance.now() - t0) / 1000;
  const meta = await prev.readJson<{ modelVersion: string }>(EMBED_ARTIFACTS.modelMeta);
  const desc = await writeEmbeddings(ctx, vectors, source, d, meta.modelVersion);
  return {
    users: n,
    dim: d,
    modelVersion: meta.modelVersion,
    incremental: why === null,
    why,
    ...counts,
    copied: n - counts.reembedded,
    inferSeconds,
    inferUsersPerSecond: Math.round(counts.reembedded / Math.max(inferSeconds, 1e-9)),
    towerUsers: desc.sources.tower,
  };
}
