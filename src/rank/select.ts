/**
 * Picks the scorer for a bundle from the `scorer` setting: a heuristic by name ('stored', 'aa', …), a model
 * variant ('mlp', 'mlp-int8', 'gbdt', or 'model' for the card's served one), or 'auto' — the bundle's
 * served model when it has one, else the stored heuristic score. A model that fails validation throws
 * PYMK_MODEL_INVALID, so the caller keeps what it had (the server refuses the new bundle).
 */
import { PymkError, unknownName } from '../core/errors.js';
import { heuristicNames, heuristicScorer } from './heuristic.js';
import type { Scorer } from './scorer.js';
import { hasModel, loadModel, VARIANTS, type ModelReader, type Variant } from './modelFiles.js';
import type { SessionOptions } from './onnxRuntime.js';
import { modelScorer } from './scorer.js';

export const MODEL_CHOICES = ['auto', 'model', ...VARIANTS] as const;

export function scorerChoices(): string[] {
  return [...MODEL_CHOICES, ...heuristicNames()];
}

export async function selectScorer(name: string, bundle: ModelReader | null, opts: SessionOptions = {}): Promise<Scorer> {
  if (heuristicNames().includes(name)) return heuristicScorer(name);
  if (!(MODEL_CHOICES as readonly string[]).includes(name)) throw unknownName('scorer', name, scorerChoices());
  const present = bundle !== null && hasModel(bundle);
  if (name === 'auto' && !present) return heuristicScorer('stored');
  if (!present) throw new PymkError('PYMK_MODEL_INVALID', `scorer '${name}' needs a ranking model, and the bundle has none (run the pipeline with the rank stage)`);
  const variant = name === 'auto' || name === 'model' ? undefined : (name as Variant);
  return modelScorer(await loadModel(bundle, variant, opts));
}
