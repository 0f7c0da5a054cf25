/**
 * The bundle format: the only hand-off from the offline pipeline to serving. A bundle is a folder with a
 * `manifest.json` (version, inputs with checksums, stage records, artifacts with sizes and SHA-256) and
 * typed-array artifact files in one codec. The pipeline writes bundles; serving, the store's publish and
 * the ANN adapters read them. This component imports only core.
 *
 *   const b = await openBundle(dir);           // refuses incomplete or corrupt bundles
 *   const { offsets, targets } = await b.readArrays('graph.bin', { offsets: 'int32', targets: 'int32' });
 */
export { Bundle, openBundle, readBundleVersion, readManifest, writeManifest, type OpenOptions } from './bundle.js';
export { ARTIFACTS } from './artifacts.js';
export { readIds, readProfiles, type ArtifactReader } from './read.js';
export {
  MANIFEST_FILE,
  BUNDLE_FORMAT_VERSION,
  parseManifest,
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
export { ColumnStreamWriter } from './columnStream.js';
export { sha256File, sha256Bytes, hashInput } from './hash.js';
