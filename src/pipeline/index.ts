/**
 * The pipeline component: a stage runner that builds bundles (src/bundle) atomically and resumably, and the
 * stages that turn a dataset into a serving bundle (src/pipeline/stages).
 *
 *   const r = await runPipeline({ out: 'bundles/current', inputs: { data: 'data/' }, params, stages: [ingest, graph] });
 */
export { runPipeline, stagingDir, type RunInput, type RunOptions, type RunResult } from './runner.js';
export { checkArtifactName, type Metrics, type Stage, type StageContext } from './stage.js';
