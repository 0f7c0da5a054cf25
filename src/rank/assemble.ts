/**
 * Feature assembly: RankingInputs → the model's input matrix (candidates × FEATURE_COUNT, row-major, in
 * schema order). The one implementation used by the trainer's data builder, the offline evaluator and the
 * server's scorer, so a pair gets identical features offline and online by construction.
 */
import type { RankingInputs } from '../store/types.js';
import { COL, DEFAULT_SENIORITY_GAP, FEATURES, FEATURE_COUNT, SOURCE_CODES } from './schema.js';

const F = FEATURE_COUNT;
const C = COL;

/** Assembles the feature matrix for every candidate of one user; `out` may be reused (length ≥ rows × F). */
export function assembleFeatures(inputs: RankingInputs, out?: Float32Array): Float32Array {
  const c = inputs.candidates;
  const rows = c.ids.length;
  const x = out && out.length >= rows * F ? out.subarray(0, rows * F) : new Float32Array(rows * F);
  const f = c.features;
  const user = inputs.user;
  const cu = c.users;
  const uCompany = user.company[0] ?? -1;
  const uSchool = user.school[0] ?? -1;
  const uLocation = user.location[0] ?? -1;
  const uIndustry = user.industry[0] ?? -1;
  const uSeniority = user.seniority[0] ?? -1;
  const uDegree = log1pOr(user.degree[0] ?? -1, FEATURES[C.user_degree].default);
  for (let i = 0; i < rows; i++) {
    const o = i * F;
    x[o + C.cn] = col(f.cn, i, C.cn, true);
    x[o + C.aa] = col(f.aa, i, C.aa, false);
    x[o + C.ra] = col(f.ra, i, C.ra, false);
    x[o + C.jaccard] = col(f.jaccard, i, C.jaccard, false);
    x[o + C.pa] = col(f.pa, i, C.pa, true);
    x[o + C.user_degree] = uDegree;
    x[o + C.cand_degree] = log1pOr(cu.degree[i], FEATURES[C.cand_degree].default);
    x[o + C.same_company] = same(uCompany, cu.company[i]);
    x[o + C.same_school] = same(uSchool, cu.school[i]);
    x[o + C.same_location] = same(uLocation, cu.location[i]);
    x[o + C.same_industry] = same(uIndustry, cu.industry[i]);
    const sv = cu.seniority[i];
    const known = uSeniority >= 0 && sv >= 0;
    x[o + C.seniority_gap] = known ? Math.abs(uSeniority - sv) : DEFAULT_SENIORITY_GAP;
    x[o + C.seniority_unknown] = known ? 0 : 1;
    x[o + C.views_out] = col(f.views_out, i, C.views_out, true);
    x[o + C.views_in] = col(f.views_in, i, C.views_in, true);
    x[o + C.impressions] = col(f.impressions, i, C.impressions, true);
    x[o + C.rejections] = col(f.rejections, i, C.rejections, true);
    x[o + C.emb_sim] = col(f.emb_sim, i, C.emb_sim, false);
    const src = f.source ? f.source[i] : SOURCE_CODES['2-hop'];
    x[o + C.source_2hop] = src === SOURCE_CODES['2-hop'] || src === SOURCE_CODES.both ? 1 : 0;
    x[o + C.source_ann] = src === SOURCE_CODES.ann || src === SOURCE_CODES.both ? 1 : 0;
    x[o + C.p3] = col(f.p3, i, C.p3, true);
    // Degree-normalised common neighbours, from the count and the two degrees.
    const cn = f.cn && Number.isFinite(f.cn[i]) ? f.cn[i] : 0;
    const du = Math.max(user.degree[0] ?? 0, 0);
    const dv = Math.max(cu.degree[i], 0);
    x[o + C.salton] = cn > 0 && du > 0 && dv > 0 ? cn / Math.sqrt(du * dv) : 0;
    x[o + C.hpi] = cn > 0 && du > 0 && dv > 0 ? cn / Math.min(du, dv) : 0;
    x[o + C.hdi] = cn > 0 && du > 0 && dv > 0 ? cn / Math.max(du, dv) : 0;
    x[o + C.ra3] = col(f.ra3, i, C.ra3, false);
    x[o + C.p4] = col(f.p4, i, C.p4, true);
    x[o + C.ra4] = col(f.ra4, i, C.ra4, false);
    x[o + C.ch2] = col(f.ch2, i, C.ch2, false);
    x[o + C.cn_links] = col(f.cn_links, i, C.cn_links, true);
    x[o + C.ra_ch] = col(f.ra_ch, i, C.ra_ch, false);
  }
  return x;
}

/** A pair-feature value, its schema default when the column is absent or the value is not finite. */
function col(a: Float32Array | undefined, i: number, k: number, log: boolean): number {
  const v = a ? a[i] : NaN;
  if (!Number.isFinite(v)) return FEATURES[k].default;
  return log ? Math.log1p(Math.max(0, v)) : v;
}

function log1pOr(v: number, dflt: number): number {
  return v >= 0 ? Math.log1p(v) : dflt;
}

function same(a: number, b: number): number {
  return a >= 0 && a === b ? 1 : 0;
}
