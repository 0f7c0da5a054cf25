/**
 * The online path for a new user: the profile tower, computed from the profile alone.
 *
 *   const model = await loadBundleModel(bundle);             // once per bundle version
 *   const v = embedProfile(model, { company: 'Acme', school: null, location: 'Paris',
 *                                   industry: 'Software', seniority: 3, joinedAt: 1735000000 });
 *   // v: Float32Array(128), unit L2 norm, in the same space as embeddings/users.bin:
 *   // rank candidates by dot(v, users[j]).
 *
 * Cost: 7 table rows summed (128 floats each), one 128×128 product, a normalisation — microseconds, no
 * graph access. A user who has connections is embedded by the GNN in the next pipeline run.
 */
import { openBundle } from '../bundle/bundle.js';
import { PymkError } from '../core/errors.js';
import { loadBundleModel } from './checkpoint.js';
import { profileRowInputs, type ProfileRow } from './features.js';
import { jsKernels } from './kernels.js';
import type { Model } from './model.js';
import { Workspace, towerForward } from './sage.js';

const ROW0 = Int32Array.of(0);

/** The profile-tower embedding of one profile (unit norm, model.config.dim long). */
export function embedProfile(model: Model, row: ProfileRow): Float32Array {
  const spec = model.config.inputs;
  if (spec.kind !== 'profile') {
    throw new PymkError('PYMK_BAD_PARAM', `this model reads '${spec.kind}' inputs, not profiles: it cannot embed a profile`);
  }
  const inp = profileRowInputs(spec, row);
  return towerForward(model, inp, ROW0, 1, { dropout: 0, rng: null }, new Workspace(), jsKernels()).slice();
}

/** Embeds new users' profiles for one bundle version: null when that version has no profile tower. */
export type ProfileEmbedder = (version: string, row: ProfileRow) => Promise<Float32Array | null>;

/**
 * New users' embeddings from the bundle folder `dir` (the one a server serves, or `pymk invalidate --bundle`):
 * the tower of the version asked for, loaded once per version the folder holds. A version the folder does
 * not hold (the store moved on, the folder did not yet) or a model without a profile tower gives null: the
 * user is created without an embedding and served by profile cold start. A model that fails to load is
 * reported to `onError` and treated as no tower for that version (new users are still created).
 */
export function bundleEmbedder(dir: string, onError: (err: unknown) => void = () => {}): ProfileEmbedder {
  let loaded: { version: string; model: Promise<Model | null> } | null = null;
  return async (version, row) => {
    if (loaded?.version !== version) {
      const b = await openBundle(dir);
      if (b.version !== version) return null;
      loaded = {
        version,
        model: loadBundleModel(b).then(
          (m) => (m && m.config.inputs.kind === 'profile' ? m : null),
          (err: unknown) => {
            onError(err);
            return null;
          },
        ),
      };
    }
    const model = await loaded.model;
    return model ? embedProfile(model, row) : null;
  };
}
