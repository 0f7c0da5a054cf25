/**
 * User embeddings: a GraphSAGE encoder and a profile tower trained for link prediction (docs/embeddings.md).
 *
 *   const r = embedUsers(graph, profiles, { train: { epochs: 2 } });     // train + embed everyone
 *   const v = embedProfile(r.model, { company: 'Acme', location: 'Paris' }); // a new user, online
 *
 * The evaluation methods ('embed', '2hop+embed') register themselves when './evalMethods.js' is imported.
 */
export { ARCHITECTURE, createModel, growModel, type Model, type ModelConfig } from './model.js';
export {
  DEFAULT_BUCKETS,
  emptyInputs,
  listInputs,
  profileInputs,
  profileRowInputs,
  profileSpec,
  type InputSpec,
  type NodeInputs,
  type ProfileRow,
  type ProfileSpec,
} from './features.js';
export { TRAIN_DEFAULTS, trainModel, type TrainOptions, type TrainResult, type TrainInput, type TrainHooks } from './train.js';
export { embedAll, embedNodes, towerAll, type InferOptions } from './infer.js';
export { embedProfile } from './profile.js';
export { embedUsers, type EmbedUsersOptions, type EmbedUsersResult } from './embedUsers.js';
export { EMBED_ARTIFACTS, loadBundleModel, loadModel, saveModel, type EmbeddingsMeta, type ModelMeta } from './checkpoint.js';
export { fromF16, fromI8, toF16, toI8 } from './quantize.js';
export { jsKernels, type DenseKernels } from './kernels.js';
export { TopK } from '../core/topk.js';
export { fuseRanked, topByDot } from './rank.js';
