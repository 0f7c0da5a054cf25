/**
 * The `rank` stage of an incremental run (`pymk pipeline --incremental --since BUNDLE`): keeps BUNDLE's
 * ranking model instead of retraining it — the weekly full run retrains. The model files are hard-linked
 * from BUNDLE with their record (metrics, schema), so the lists stage scores with exactly that model. When
 * BUNDLE has no finished rank stage, or its model was made with other rank params, the stage trains as a
 * full run does, saying why.
 */
import { join } from 'node:path';
import { openBundle } from '../../bundle/bundle.js';
import { linkOrCopy } from '../files.js';
import { stageParamsSha, type Stage } from '../stage.js';
import { RANK_DEFAULTS, rankStage, type RankParams } from './rank.js';

export function keptRankStage(params: RankParams = RANK_DEFAULTS, since: string): Stage {
  const train = rankStage(params);
  return {
    name: 'rank',
    // The same params as the training stage: its record says "the model for these params" either way.
    params,
    async run(ctx) {
      const prev = await openBundle(since);
      const r = prev.stage('rank');
      const why =
        r === undefined || r.status !== 'done' ? `${prev.dir} has no finished rank stage` : r.paramsSha !== stageParamsSha(train) ? `${prev.dir}'s model was made with other rank params` : null;
      if (why !== null || r === undefined) {
        ctx.log(`training a model: ${why}`);
        return train.run(ctx);
      }
      for (const a of r.artifacts) {
        await linkOrCopy(join(prev.dir, a), ctx.path(a));
        await ctx.addFile(a, prev.manifest.artifacts[a].kind);
      }
      for (const [k, v] of Object.entries(r.schema)) ctx.setSchema(k, v);
      const trainedIn = (r.metrics.trainedIn as string | undefined) ?? prev.version;
      ctx.log(`kept the model of ${trainedIn} (${r.artifacts.length} files from ${prev.dir}); the next full run retrains it`);
      return { ...r.metrics, kept: true, trainedIn };
    },
  };
}
