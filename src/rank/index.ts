/** The ranking model: feature schema and assembly, training data, trainers, ONNX export and the scorer. */
export { assembleFeatures } from './assemble.js';
export { BehaviourIndex, extraPairColumns, pairFeatureColumns, dataTime } from './behaviour.js';
export { buildExamples, EXAMPLE_DEFAULTS, type Examples, type ExampleOptions, type RankSource } from './examples.js';
export { exportModel, exportGraphs } from './export.js';
export { gbdtForward, trainGbdt, GBDT_DEFAULTS, type Ensemble } from './gbdt.js';
export { mlpForward, trainMlp, MLP_DEFAULTS, type MlpParams } from './mlp.js';
export { hasModel, loadModel, MODEL_FILES, VARIANTS, type ModelCard, type ModelReader, type Variant } from './modelFiles.js';
export { FEATURES, FEATURE_NAMES, FEATURE_COUNT, SCHEMA_ID, schemaDescription } from './schema.js';
export { modelScorer, type ModelScorer, type Scorer } from './scorer.js';
export { heuristicNames, heuristicScorer, rankOrder } from './heuristic.js';
export { selectScorer, scorerChoices } from './select.js';
export { trainRanker, TRAIN_DEFAULTS, type TrainedRanker } from './train.js';
