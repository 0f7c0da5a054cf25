/**
 * The ranking stages.
 *
 * `pair-features` (stages/pairFeatures.ts): the log-derived pair features of every stored candidate.
 *
 * `rank`: builds training examples from the logs with a time cut (src/rank/examples.ts), trains the MLPs and
 * the tree ensemble, measures them on the validation users' lists over several held-back draws
 * (src/rank/validation.ts) and chooses the served one there, exports fp32 and INT8 MLP, tree and blend ONNX files with a golden batch and a model card
 * into `model/`, each validated against the trainer before it is listed. The `lists` stage after it ranks
 * the static lists with the served model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Graph } from '../../graph/csr.js';
import { buildExamples, EXAMPLE_DEFAULTS, type ExampleOptions } from '../../rank/examples.js';
import { exportModel } from '../../rank/export.js';
import { MODEL_FILES, type ModelReader, type Variant } from '../../rank/modelFiles.js';
import { schemaDescription } from '../../rank/schema.js';
import { chooseServed, RANK_MAX_USERS, trainRanker, TRAIN_DEFAULTS, type TrainOptions } from '../../rank/train.js';
import { pooledValidation } from '../../rank/validation.js';
import { ARTIFACTS, EVENT_COLUMNS, GRAPH_COLUMNS } from '../../bundle/artifacts.js';
import { readIds, readProfiles } from '../../bundle/read.js';
import type { Stage, StageContext } from '../stage.js';

export { pairFeaturesStage } from './pairFeatures.js';

export interface RankParams {
  examples: ExampleOptions;
  train: TrainOptions;
  /** The variant the server and the static lists use; 'auto': chosen on the validation lists (chooseServed). */
  served: Variant | 'auto';
}

/** At most RANK_MAX_USERS label users, each with their whole served list: training stays minutes at any size. */
export const RANK_DEFAULTS: RankParams = { examples: { ...EXAMPLE_DEFAULTS, maxUsers: RANK_MAX_USERS }, train: TRAIN_DEFAULTS, served: 'auto' };

/** Fewer positive (or negative) training pairs than this: the stage makes no model. */
export const MIN_CLASS_ROWS = 20;

export function rankStage(params: RankParams = RANK_DEFAULTS): Stage {
  return {
    name: 'rank',
    params,
    async run(ctx) {
      const ids = await readIds(ctx);
      const profiles = await readProfiles(ctx, ids.size);
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const graph = new Graph(ids.size, gc.offsets, gc.targets, gc.times);
      const ev = await ctx.readArrays(ARTIFACTS.events, EVENT_COLUMNS);
      let t0 = performance.now();
      const src = { ids, profiles, graph, events: { count: ev.type.length, ...ev } };
      const ex = await buildExamples(src, params.examples);
      const examplesSeconds = (performance.now() - t0) / 1000;
      ctx.log(`${ex.rows} examples (${ex.labels.mode} labels, ${ex.labels.positives} positive) from ${ex.labels.users} users in ${examplesSeconds.toFixed(1)}s`);
      const negatives = ex.rows - ex.labels.positives;
      if (ex.labels.positives < MIN_CLASS_ROWS || negatives < MIN_CLASS_ROWS) {
        ctx.log(`not enough labelled pairs to train (${ex.labels.positives} positive, ${negatives} negative; need ${MIN_CLASS_ROWS} each): no model`);
        return { examples: ex.labels, skipped: 'not enough labelled pairs' };
      }
      t0 = performance.now();
      const trained = trainRanker(ex, params.train, (s) => ctx.log(s));
      const pooled = await pooledValidation(src, params.examples, ex, trained, params.train);
      trained.metrics.valid = pooled.valid;
      const validation = { rounds: pooled.rounds, users: pooled.users, positives: pooled.positives };
      const metrics = { examples: ex.labels, examplesSeconds: Math.round(examplesSeconds * 100) / 100, ...trained.metrics, validation, validationSeconds: pooled.seconds };
      const v = trained.metrics.valid;
      ctx.log(`validation on the served lists (${pooled.users} users over ${pooled.rounds} held-back draws), Recall@20: blend ${v.blend.recall20}, mlp ${v.mlp.recall20}, gbdt ${v.gbdt.recall20}, AA ${v.aa.recall20}`);
      const choice = params.served === 'auto' ? chooseServed(v) : params.served;
      if (choice === 'aa') {
        ctx.log('no model beats Adamic-Adar on the validation lists: no model (lists and serving use the stored AA score)');
        return { ...metrics, skipped: 'no model beats AA on the validation lists', served: 'aa', requested: params.served };
      }
      const exported = await exportModel(trained, choice, metrics);
      for (const [name, bytes] of exported.files) {
        await mkdir(dirname(ctx.path(name)), { recursive: true });
        await writeFile(ctx.path(name), bytes);
        await ctx.addFile(name);
      }
      await ctx.writeArrays(MODEL_FILES.golden, trained.golden);
      await ctx.writeJson(MODEL_FILES.card, exported.card);
      const served = exported.card.served;
      if (served !== choice) ctx.log(`serving '${served}': the chosen variant '${choice}' failed validation`);
      ctx.setSchema('rank', { ...schemaDescription(), served, variants: Object.keys(exported.card.variants) });
      for (const [v, why] of Object.entries(exported.refused)) ctx.log(`variant ${v} refused: ${why}`);
      return { ...metrics, served, requested: params.served, variants: exported.card.variants, refused: exported.refused, seconds: Math.round((performance.now() - t0) / 10) / 100 };
    },
  };
}

/** A running stage's view of the bundle as a ModelReader (files written by earlier stages of this run). */
export function stageModelReader(ctx: StageContext): ModelReader {
  return {
    has: (name) => ctx.has(name),
    readBytes: (name) => ctx.readBytes(name),
    readJson: (name) => ctx.readJson(name),
    readArrays: (name, expect) => ctx.readArrays(name, expect),
  };
}

