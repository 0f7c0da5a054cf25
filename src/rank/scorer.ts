/**
 * The model scorer: assembles the feature matrix (assemble.ts, the same function the trainer used) and
 * scores every candidate in one ONNX Runtime run. Disposing it lets runs in flight finish first.
 */
import type { Scorer } from '../serve/scorer.js';
import type { RankingInputs } from '../store/types.js';
import { assembleFeatures } from './assemble.js';
import type { LoadedModel } from './modelFiles.js';

export interface ModelScorer extends Scorer {
  readonly model: LoadedModel;
  dispose(): void;
}

export function modelScorer(model: LoadedModel): ModelScorer {
  return {
    name: `model:${model.variant}`,
    model,
    score: (inputs: RankingInputs) => model.session.run(assembleFeatures(inputs), inputs.candidates.ids.length),
    dispose: () => model.session.dispose(),
  };
}
