/**
 * The pipeline component: a stage runner that builds bundles atomically and resumably, the bundle reader
 * that serving uses, and the typed-array file codec both share.
 *
 *   const r = await runPipeline({ out: 'bundles/current', inputs: { data: 'data/' }, params, stages: [ingest, graph] });
 *   const b = await openBundle(r.dir);           // refuses incomplete or corrupt bundles
 *   const { offsets, targets } = await b.readArrays('graph.bin', { offsets: 'int32', targets: 'int32' });
 */
export { runPipeline, stagingDir, type RunOptions, type RunResult } from './runner.js';
export { checkArtifactName, type Metrics, type Stage, type StageContext } from './stage.js';
export { Bundle, openBundle, readBundleVersion, readManifest, type OpenOptions } from './bundle.js';
export {
  MANIFEST_FILE,
  BUNDLE_FORMAT_VERSION,
  type ArtifactRecord,
  type InputRecord,
  type Manifest,
  type StageRecord,
} from './manifest.js';
export {
  DTYPES,
  decodeArrays,
  dtypeOf,
  encodeArrays,
  readArrays,
  writeArrays,
  type ArrayOf,
  type ColumnSpec,
  type Columns,
  type ColumnsOf,
  type DType,
  type TypedArray,
} from './binary.js';
export {
  progressFactory,
  resolveProgressMode,
  stderrLog,
  type LogFn,
  type Progress,
  type ProgressFactory,
  type ProgressMode,
} from './progress.js';
