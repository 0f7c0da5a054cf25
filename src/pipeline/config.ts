/**
 * The pipeline's parameters from a config file (`pymk pipeline --config FILE`, JSON) and flags, validated
 * once: defaults ← file ← flags. Every section is optional and partial; unknown keys are rejected at any
 * depth and every value must have the type of its default, so a typo fails before a stage runs. A section
 * set to `false` turns that stage off (`"embed": false`, `"rank": false`, `"ann": false`).
 *
 * Two things are not pipeline parameters: the business rules of the static lists come from the serving
 * configuration (PYMK_MAX_PER_COMPANY, …) so live answers and fallback lists apply the same caps, and the
 * ranker's training lists use the candidates stage's count, so the model is trained on the lists served.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PymkError } from '../core/errors.js';
import type { BadRowLimit } from '../data/load.js';
import type { EdgeColumns } from '../data/readers/edgeList.js';
import { PostgresMappingSchema, type SourceConfig } from '../data/sources/index.js';
import { HEURISTIC_NAMES } from '../graph/heuristics.js';
import { METRICS } from '../ann/types.js';
import { INDEX_KINDS } from '../ann/registry.js';
import { TRAIN_DEFAULTS as EMBED_TRAIN_DEFAULTS } from '../embed/train.js';
import { VARIANTS } from '../rank/modelFiles.js';
import type { RuleConfig } from '../recommend/rules.js';
import { ANN_DEFAULTS } from './stages/ann.js';
import { RECENT_TIER_DEFAULTS } from './stages/annIncremental.js';
import { CANDIDATE_DEFAULTS } from './stages/candidates.js';
import { EMBED_DEFAULTS } from './stages/embed.js';
import { consistentParams, PIPELINE_DEFAULTS, type PipelineParams } from './stages/index.js';
import { LIST_DEFAULTS } from './stages/lists.js';
import { RANK_DEFAULTS } from './stages/rank.js';

/** A strict, partial object schema whose fields take the types of `defaults`' values; `fields` override. */
function shaped(defaults: object, fields: Record<string, z.ZodType> = {}): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(defaults)) shape[key] = fields[key] ?? typeOf(value);
  for (const [key, schema] of Object.entries(fields)) shape[key] ??= schema;
  return z.object(shape).strict().partial();
}

function typeOf(value: unknown): z.ZodType {
  if (typeof value === 'number') return z.number().finite().min(0);
  if (typeof value === 'boolean') return z.boolean();
  if (typeof value === 'string') return z.string().min(1);
  if (Array.isArray(value)) return z.array(z.number().finite().min(0)).min(1);
  if (value && typeof value === 'object') return shaped(value);
  throw new Error(`no config type for ${String(value)}`);
}

const count = z.number().int().min(1);
/** Neighbours sampled per GraphSAGE layer: two layers. */
const fanouts = z.tuple([count, count]);

const { topN: _derived, list: _derivedToo, ...exampleDefaults } = RANK_DEFAULTS.examples;

export const PipelineFileSchema = z
  .object({
    candidates: shaped(CANDIDATE_DEFAULTS, { topN: count.max(10_000), score: z.enum(HEURISTIC_NAMES), hubMode: z.enum(['skip', 'sample']) }),
    lists: shaped({ k: LIST_DEFAULTS.k }, { k: count.max(1_000), scorer: z.string().min(1) }),
    embed: z.union([z.literal(false), shaped(EMBED_DEFAULTS, { train: shaped({ ...EMBED_TRAIN_DEFAULTS, identityStd: 0 }, { fanouts }), inferFanouts: fanouts })]),
    ann: z.union([z.literal(false), shaped(ANN_DEFAULTS, { kind: z.enum(INDEX_KINDS as [string, ...string[]]), metric: z.enum(METRICS), options: z.record(z.string(), z.unknown()) })]),
    recentTier: shaped(RECENT_TIER_DEFAULTS, { minCos: z.number().min(-1).max(1), maxRecentFraction: z.number().min(0).max(1) }),
    rank: z.union([z.literal(false), shaped(RANK_DEFAULTS, { examples: shaped(exampleDefaults), served: z.enum([...VARIANTS, 'auto']) })]),
    maxBadRows: z.union([z.number().int().min(0), z.string().regex(/^\d+(\.\d+)?%$/, 'expected an integer or a share "P%"').refine((v) => Number(v.slice(0, -1)) <= 100, 'a share is at most 100%')]),
    unknownUsers: z.enum(['keep', 'reject']),
    columns: z.strictObject({ src: z.number().int().min(0), dst: z.number().int().min(0), ts: z.number().int().min(0).optional() }),
    eventsSince: z.number().int().min(0),
    /** How sources are read (not a param: the source's input record covers it). */
    source: z.strictObject({ postgres: PostgresMappingSchema }).partial(),
  })
  .strict()
  .partial();

export type PipelineFile = z.infer<typeof PipelineFileSchema>;

/** The flags `pymk pipeline` offers for the common choices (undefined: not given). */
export interface PipelineFlags {
  candidates?: number;
  listK?: number;
  maxFanout?: number;
  maxBadRows?: BadRowLimit;
  unknownUsers?: 'keep' | 'reject';
  columns?: EdgeColumns;
  eventsSince?: number;
  embed?: boolean;
  rank?: boolean;
}

/**
 * Whether the embedding and ANN stages run when neither a flag nor the config file says: only with a profile
 * file. Without profiles the GraphSAGE encoder has only the graph, its ANN candidates reach only users with
 * no 2-hop candidate, and no ranking feature uses the embeddings: on musae-facebook (22k users) it took most
 * of the pipeline's wall time (the embed stage 266 of 316 s) and left served Recall@20 exactly where it
 * was without it (0.6153; the run without: 81 s; bench/results/served-recall-embed-on-musae.md, served-recall.md).
 */
export function embedByDefault(hasProfiles: boolean): boolean {
  return hasProfiles;
}

/** Reads and validates a pipeline config file; the error names the file and the field. */
export async function readPipelineFile(path: string): Promise<PipelineFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PymkError('PYMK_CONFIG', `${path}: cannot read the pipeline config (${why})`);
  }
  return parsePipelineFile(json, path);
}

export function parsePipelineFile(json: unknown, source = 'pipeline config'): PipelineFile {
  const parsed = PipelineFileSchema.safeParse(json);
  if (!parsed.success) throw new PymkError('PYMK_CONFIG', `${source}: ${describe(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

type Issue = z.core.$ZodIssue;

/** Issue lines with full paths; a `false | {…}` section reports what is wrong inside the object. */
function describe(issues: readonly Issue[], at: PropertyKey[] = []): string[] {
  return issues.flatMap((i) => {
    const path = [...at, ...i.path];
    if (i.code === 'invalid_union' && i.errors.some((branch) => branch.some((e) => e.path.length > 0))) {
      const deepest = i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      return describe(deepest, path);
    }
    if (i.code === 'invalid_union') return [`${path.map(String).join('.')}: expected false (stage off) or an object of settings`];
    return [`${path.map(String).join('.') || '(root)'}: ${i.message}`];
  });
}

const depth = (issues: readonly Issue[]): number => Math.max(0, ...issues.map((i) => i.path.length));

/** Plain objects merge key by key; anything else (numbers, arrays, false) replaces. */
function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (!isPlain(base) || !isPlain(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out as T;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Defaults ← file ← flags, with the static lists' rules from the serving configuration. */
export function pipelineParams(file: PipelineFile, flags: PipelineFlags, rules: RuleConfig): PipelineParams {
  const fromFlags: PipelineFile = {
    ...(flags.candidates !== undefined || flags.maxFanout !== undefined
      ? { candidates: { ...(flags.candidates !== undefined && { topN: flags.candidates }), ...(flags.maxFanout !== undefined && { maxFanout: flags.maxFanout }) } }
      : {}),
    ...(flags.listK !== undefined && { lists: { k: flags.listK } }),
    ...(flags.embed === false && { embed: false as const }),
    ...(flags.rank === false && { rank: false as const }),
    ...(flags.maxBadRows !== undefined && { maxBadRows: flags.maxBadRows }),
    ...(flags.unknownUsers !== undefined && { unknownUsers: flags.unknownUsers }),
    ...(flags.columns !== undefined && { columns: flags.columns }),
    ...(flags.eventsSince !== undefined && { eventsSince: flags.eventsSince }),
  };
  const { source: _source, ...settings } = file;
  const defaults: PipelineParams = { ...PIPELINE_DEFAULTS, embed: EMBED_DEFAULTS, ann: {} };
  const p = merge(merge(defaults, settings), fromFlags);
  return consistentParams({ ...p, lists: { ...p.lists, rules } });
}

/** The config file's `source` section: how each kind of source is read (e.g. the PostgreSQL mapping). */
export function sourceConfig(file: PipelineFile): SourceConfig {
  return file.source ?? {};
}
