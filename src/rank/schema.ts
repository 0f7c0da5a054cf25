/**
 * The ranking feature schema: one definition of the features (names, order, how each is derived, its
 * default when the input is missing), shared by the trainer's data builder, the offline evaluator and the
 * server. A model records the schema id it was trained with and is refused when it differs from this one.
 */
import { createHash } from 'node:crypto';

/** How a raw value becomes the model input. */
export type FeatureKind = 'log1p' | 'value' | 'binary';

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
  /** The value used when the input is missing (unknown user, absent profile field, absent column). */
  default: number;
  doc: string;
}

/** Profile views, impressions and rejections are counted over this many days before the data time. */
export const BEHAVIOUR_WINDOW_DAYS = 30;
/** Seniority gap assumed when either seniority is unknown. */
export const DEFAULT_SENIORITY_GAP = 3;

/** Candidate sources, as coded in the `source` pair-feature column. */
export const SOURCE_CODES = { '2-hop': 0, ann: 1, both: 2 } as const;

export const FEATURES: readonly FeatureSpec[] = Object.freeze([
  { name: 'cn', kind: 'log1p', default: 0, doc: 'common neighbours' },
  { name: 'aa', kind: 'value', default: 0, doc: 'Adamic-Adar' },
  { name: 'ra', kind: 'value', default: 0, doc: 'resource allocation' },
  { name: 'jaccard', kind: 'value', default: 0, doc: 'Jaccard of the neighbour sets' },
  { name: 'pa', kind: 'log1p', default: 0, doc: 'preferential attachment (degree product)' },
  { name: 'user_degree', kind: 'log1p', default: 0, doc: "the user's connections" },
  { name: 'cand_degree', kind: 'log1p', default: 0, doc: "the candidate's connections (popularity)" },
  { name: 'same_company', kind: 'binary', default: 0, doc: 'both have the same company' },
  { name: 'same_school', kind: 'binary', default: 0, doc: 'both have the same school' },
  { name: 'same_location', kind: 'binary', default: 0, doc: 'both have the same location' },
  { name: 'same_industry', kind: 'binary', default: 0, doc: 'both have the same industry' },
  { name: 'seniority_gap', kind: 'value', default: DEFAULT_SENIORITY_GAP, doc: '|seniority difference|' },
  { name: 'seniority_unknown', kind: 'binary', default: 1, doc: 'either seniority is unknown' },
  { name: 'views_out', kind: 'log1p', default: 0, doc: `profile views user → candidate, last ${BEHAVIOUR_WINDOW_DAYS} days` },
  { name: 'views_in', kind: 'log1p', default: 0, doc: `profile views candidate → user, last ${BEHAVIOUR_WINDOW_DAYS} days` },
  { name: 'impressions', kind: 'log1p', default: 0, doc: `times the candidate was shown to the user, last ${BEHAVIOUR_WINDOW_DAYS} days` },
  { name: 'rejections', kind: 'log1p', default: 0, doc: `dismissals and ignored invites between the two, either way, last ${BEHAVIOUR_WINDOW_DAYS} days` },
  { name: 'emb_sim', kind: 'value', default: 0, doc: 'embedding similarity (reserved: 0 until embeddings are stored)' },
  { name: 'source_2hop', kind: 'binary', default: 1, doc: 'the candidate came from the 2-hop generator' },
  { name: 'source_ann', kind: 'binary', default: 0, doc: 'the candidate came from the ANN index' },
  { name: 'p3', kind: 'log1p', default: 0, doc: 'paths of length 3 between the two (A³: truncated Katz beyond common neighbours)' },
  { name: 'salton', kind: 'value', default: 0, doc: 'common neighbours / √(degree · degree) (cosine of the neighbour sets)' },
  { name: 'hpi', kind: 'value', default: 0, doc: 'common neighbours / the smaller degree (hub-promoted)' },
  { name: 'hdi', kind: 'value', default: 0, doc: 'common neighbours / the larger degree (hub-depressed)' },
  { name: 'ra3', kind: 'value', default: 0, doc: 'length-3 paths weighted by 1/(degree · degree) of their inner nodes (a 3-step random walk)' },
  { name: 'p4', kind: 'log1p', default: 0, doc: 'walks of length 4 between the two (A⁴)' },
  { name: 'ra4', kind: 'value', default: 0, doc: 'length-4 walks weighted by 1/(degree · degree · degree) of their inner nodes (a 4-step random walk)' },
  { name: 'ch2', kind: 'value', default: 0, doc: 'CH2-L2 over the common neighbours: Σ (1 + links to other common neighbours) / (1 + links outside them and the pair)' },
  { name: 'cn_links', kind: 'log1p', default: 0, doc: 'links among the common neighbours' },
  { name: 'ra_ch', kind: 'value', default: 0, doc: 'Σ over the common neighbours of (1 + links to other common neighbours) / degree' },
] as const satisfies readonly FeatureSpec[]);

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/** Column index of each feature by name. */
export const COL: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])));

/** A short, stable id of the schema (names, order, kinds, defaults, window): models carry it. */
export const SCHEMA_ID: string = createHash('sha256')
  .update(JSON.stringify({ FEATURES, BEHAVIOUR_WINDOW_DAYS, SOURCE_CODES }))
  .digest('hex')
  .slice(0, 16);

/** The schema as written into a bundle (manifest schema and model card). */
export function schemaDescription(): { id: string; features: FeatureSpec[]; behaviourWindowDays: number; sourceCodes: typeof SOURCE_CODES } {
  return { id: SCHEMA_ID, features: FEATURES.map((f) => ({ ...f })), behaviourWindowDays: BEHAVIOUR_WINDOW_DAYS, sourceCodes: SOURCE_CODES };
}
