/**
 * Scorers turn a user's RankingInputs into one score per candidate, in one batch: the heuristic scorers
 * (heuristic.ts) and the model scorer here. The model scorer assembles the feature matrix (assemble.ts,
 * the same function the trainer used) and scores every candidate in one ONNX Runtime run — one user's (a request), or many users' stacked (the
 * static lists). Disposing it lets runs in flight finish first.
 */
import type { RankingInputs } from '../store/types.js';
import { assembleFeatures } from './assemble.js';
import { FEATURE_COUNT } from './schema.js';
import type { LoadedModel } from './modelFiles.js';

export interface Scorer {
  readonly name: string;
  /** One score per candidate; a model scorer answers asynchronously (one ONNX Runtime run). */
  score(inputs: RankingInputs): Float32Array | Promise<Float32Array>;
  /** Many users' candidates in one call (the ONNX ranker: one run), aligned with `inputs`; optional. */
  scoreBatch?(inputs: RankingInputs[]): Promise<Float32Array[]>;
  /** Frees native resources once the runs in flight have finished (model scorers). */
  dispose?(): void;
}

export interface ModelScorer extends Scorer {
  readonly model: LoadedModel;
  dispose(): void;
}

export function modelScorer(model: LoadedModel): ModelScorer {
  return {
    name: `model:${model.variant}`,
    model,
    score: (inputs: RankingInputs) => model.session.run(assembleFeatures(inputs), inputs.candidates.ids.length),
    async scoreBatch(all: RankingInputs[]) {
      const starts = new Int32Array(all.length + 1);
      all.forEach((inputs, j) => (starts[j + 1] = starts[j] + inputs.candidates.ids.length));
      const x = new Float32Array(starts[all.length] * FEATURE_COUNT);
      all.forEach((inputs, j) => assembleFeatures(inputs, x.subarray(starts[j] * FEATURE_COUNT)));
      const y = await model.session.run(x, starts[all.length]);
      return all.map((_, j) => y.subarray(starts[j], starts[j + 1]));
    },
    dispose: () => model.session.dispose(),
  };
}
