/**
 * A generated world run through the default pipeline with short ranker training (one MLP epoch, five
 * trees, the INT8 MLP served): a complete bundle in seconds, for tests that need real bundles to serve,
 * swap or publish rather than good rankings.
 */
import { join } from 'node:path';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';

export const QUICK_PARAMS = {
  ...PIPELINE_DEFAULTS,
  rank: { ...RANK_DEFAULTS, served: 'mlp-int8' as const, train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 50 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 5 } } },
};

/** Writes the world to `root/data-<name>` and its bundle to `root/<name>`; returns the bundle folder. */
export async function quickBundle(root: string, name: string, users: number, seed: number): Promise<string> {
  const data = join(root, `data-${name}`);
  const out = join(root, name);
  await generateWorld({ users, seed, out: data });
  await runPipeline({ out, stages: defaultStages(QUICK_PARAMS), inputs: { data }, params: QUICK_PARAMS, progress: 'silent', log: () => {} });
  return out;
}
