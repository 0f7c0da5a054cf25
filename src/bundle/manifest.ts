/**
 * The bundle manifest: what a bundle holds and how it was made. It is the only file a reader trusts first;
 * every artifact is checked against it. Parsed with a schema so a hand-edited or foreign file fails clearly.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PymkError } from '../core/errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const BUNDLE_FORMAT = 'pymk-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

const json = z.record(z.string(), z.unknown());

const inputSchema = z.object({
  /** The path as given to the run (informational; resume compares checksums, not paths). */
  path: z.string(),
  /** 'database': a source read by queries (src/data/sources); its sha256 covers the rows read and the mapping. */
  kind: z.enum(['file', 'dir', 'database']),
  bytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  /** SHA-256 of the file, or of "relpath\0sha256\n" lines of every file for a directory. */
  sha256: z.string(),
});

const stageSchema = z.object({
  name: z.string(),
  /** Bump a stage's version when its code changes so resume does not reuse stale outputs. */
  version: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  startedAt: z.string().nullable(),
  ms: z.number().nullable(),
  /** True when this run took the stage's outputs from an earlier, interrupted run. */
  reused: z.boolean(),
  metrics: json,
  /** Feature-schema entries the stage set; merged into the manifest's `schema`. */
  schema: json,
  artifacts: z.array(z.string()),
  error: z.string().optional(),
  /**
   * The stage's own fingerprint: SHA-256 of its name, version and declared params (absent when it declares
   * none: then it is never reused across runs), and `reads`: the SHA-256 of every artifact and input it read.
   * A later run with `reuseFrom` this bundle reuses the stage when both are unchanged.
   */
  paramsSha: z.string().optional(),
  reads: z.record(z.string(), z.string()).optional(),
  /** The bundle a run took this stage's outputs from unchanged (runner's `reuseFrom`). */
  reusedFrom: z.string().optional(),
});

const artifactSchema = z.object({
  stage: z.string(),
  kind: z.enum(['arrays', 'json', 'file']),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int(),
  status: z.enum(['building', 'failed', 'complete']),
  /** Set on completion: UTC timestamp to the millisecond + short content hash, e.g. 20250314T101502.123Z-3fa9c21b. */
  version: z.string().nullable(),
  /** Completion time (ISO 8601); null until complete. */
  createdAt: z.string().nullable(),
  /** When the first attempt of this build started. */
  startedAt: z.string(),
  /** Hash of input checksums + params: a resumed run must match it. */
  fingerprint: z.string(),
  inputs: z.record(z.string(), inputSchema),
  params: z.unknown(),
  stages: z.array(stageSchema),
  /** Free-form feature schema, merged from what stages set (later stages win per key). */
  schema: json,
  artifacts: z.record(z.string(), artifactSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type InputRecord = z.infer<typeof inputSchema>;
export type StageRecord = z.infer<typeof stageSchema>;
export type ArtifactRecord = z.infer<typeof artifactSchema>;
export type ArtifactKind = ArtifactRecord['kind'];

/** Parses manifest text, failing with PYMK_BUNDLE_INVALID naming `file`. */
export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${file}: not valid JSON`, { file });
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PymkError('PYMK_BUNDLE_INVALID', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { file });
  }
  if (r.data.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new PymkError(
      'PYMK_BUNDLE_INVALID',
      `${file}: bundle format version ${r.data.formatVersion} is not supported (expected ${BUNDLE_FORMAT_VERSION})`,
      { file },
    );
  }
  return r.data;
}

/** The fingerprint a resumed run must match: input checksums by name and the params, order-independent. */
export function fingerprintOf(inputs: Record<string, InputRecord>, params: unknown): string {
  const sums = Object.keys(inputs)
    .sort()
    .map((k) => [k, inputs[k].sha256]);
  return createHash('sha256').update(stableJson({ inputs: sums, params: params ?? null })).digest('hex');
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * Version id from the completion time (to the millisecond, so two builds a moment apart differ) and the
 * artifacts' checksums: `20250314T101502.123Z-3fa9c21b`. Ids of the same format sort by completion time.
 */
export function versionId(at: Date, artifacts: Record<string, ArtifactRecord>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(artifacts).sort()) h.update(`${name}\0${artifacts[name].sha256}\n`);
  const ts = at.toISOString().replace(/[-:]/g, '');
  return `${ts}-${h.digest('hex').slice(0, 8)}`;
}

/** Merges the stages' schema entries in stage order. */
export function mergedSchema(stages: StageRecord[]): Record<string, unknown> {
  return Object.assign({}, ...stages.map((s) => s.schema)) as Record<string, unknown>;
}
