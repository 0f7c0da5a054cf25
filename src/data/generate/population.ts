/**
 * The synthetic population: profiles (company with Zipf-like sizes, school, location and industry correlated
 * with the company, seniority, join time, flags) and each user's sociability. Users are numbered in join
 * order, so "joined by time t" is always a prefix 0..J(t)-1 — the growth model relies on that.
 */
import { Dictionary } from '../../core/dictionary.js';
import type { Rng } from '../../core/rng.js';
import { FLAG_BANNED, FLAG_DEACTIVATED, emptyProfiles, type ProfileTable } from '../../core/tables.js';
import { INDUSTRIES, LOCATIONS, companyName, schoolName } from './names.js';
import { MODEL, type WorldParams } from './params.js';

/** Members of each group (company, school or location), ascending by user id within a group. */
export interface Groups {
  /** Group g's members are members[offsets[g] .. offsets[g+1]). */
  offsets: Int32Array;
  members: Int32Array;
}

export interface Population {
  n: number;
  profiles: ProfileTable;
  /**
   * Each user repeated about sociability (target degree) times, ascending: a uniform draw from
   * stubs[0 .. stubEnd[J]) picks one of the first J users with probability ∝ sociability.
   */
  stubs: Int32Array;
  stubEnd: Int32Array;
  /**
   * Profile codes packed 4 per user (one cache line per look-up): company, school, location, and
   * ((industry + 1) << 4) | (seniority + 1). Missing values are -1 before packing.
   */
  traits: Int32Array;
  /** Most connections a user may ever have (heavy-tailed, at most params.maxDegree). */
  capacity: Int32Array;
  company: Groups;
  school: Groups;
  location: Groups;
}

/** Draws the population. Deterministic for a given rng state. */
export function buildPopulation(p: WorldParams, rng: Rng): Population {
  const n = p.users;
  const nCompanies = Math.max(5, Math.round(n / MODEL.usersPerCompany));
  const nSchools = Math.max(3, Math.round(n / MODEL.usersPerSchool));
  const profiles = emptyProfiles(n);
  profiles.dicts.company = Dictionary.from(Array.from({ length: nCompanies }, (_, i) => companyName(i)));
  profiles.dicts.school = Dictionary.from(Array.from({ length: nSchools }, (_, i) => schoolName(i)));
  profiles.dicts.location = Dictionary.from(LOCATIONS);
  profiles.dicts.industry = Dictionary.from(INDUSTRIES);

  const companyCdf = zipfCdf(nCompanies, MODEL.zipfOffset);
  const schoolCdf = zipfCdf(nSchools, MODEL.zipfOffset);
  const locationCdf = zipfCdf(LOCATIONS.length, 2);
  const industryCdf = zipfCdf(INDUSTRIES.length, 3);
  const companyIndustry = new Int32Array(nCompanies);
  const companyLocation = new Int32Array(nCompanies);
  for (let c = 0; c < nCompanies; c++) {
    companyIndustry[c] = sampleCdf(industryCdf, rng.next());
    companyLocation[c] = sampleCdf(locationCdf, rng.next());
  }

  const { company, school, location, industry } = profiles.codes;
  const miss = MODEL.missing;
  for (let u = 0; u < n; u++) {
    const c = rng.chance(miss.company) ? -1 : sampleCdf(companyCdf, rng.next());
    company[u] = c;
    school[u] = rng.chance(miss.school) ? -1 : sampleCdf(schoolCdf, rng.next());
    if (rng.chance(miss.location)) location[u] = -1;
    else if (c >= 0 && rng.chance(MODEL.locationFollowsCompany)) location[u] = companyLocation[c];
    else location[u] = sampleCdf(locationCdf, rng.next());
    if (c >= 0) {
      industry[u] = rng.chance(MODEL.industryFollowsCompany) ? companyIndustry[c] : sampleCdf(industryCdf, rng.next());
    } else {
      industry[u] = rng.chance(0.5) ? -1 : sampleCdf(industryCdf, rng.next());
    }
    profiles.seniority[u] = rng.chance(miss.seniority) ? -1 : Math.max(0, Math.min(10, Math.round(3.5 + 2.3 * rng.normal())));
    const r = rng.next();
    profiles.flags[u] = r < MODEL.banned ? FLAG_BANNED : r < MODEL.banned + MODEL.deactivated ? FLAG_DEACTIVATED : 0;
  }
  profiles.joinedAt.set(joinTimes(p, rng));

  const capacity = new Int32Array(n);
  const stubEnd = new Int32Array(n + 1);
  const sigma = MODEL.degreeSigma;
  const mu = Math.log(p.avgDegree) - (sigma * sigma) / 2;
  for (let u = 0; u < n; u++) {
    let t = Math.exp(mu + sigma * rng.normal());
    let cap = Math.min(p.maxDegree, n - 1, Math.max(1, Math.ceil(MODEL.capacitySlack * t)));
    if (profiles.flags[u] & FLAG_BANNED) {
      cap = Math.min(cap, MODEL.bannedCapacity);
      t = Math.min(t, MODEL.bannedCapacity);
    }
    capacity[u] = cap;
    const w = Math.min(t, cap);
    stubEnd[u + 1] = stubEnd[u] + Math.max(1, Math.floor(w) + (rng.chance(w % 1) ? 1 : 0));
  }
  const stubs = new Int32Array(stubEnd[n]);
  for (let u = 0; u < n; u++) stubs.fill(u, stubEnd[u], stubEnd[u + 1]);
  const traits = new Int32Array(4 * n);
  for (let u = 0; u < n; u++) {
    traits[4 * u] = company[u];
    traits[4 * u + 1] = school[u];
    traits[4 * u + 2] = location[u];
    traits[4 * u + 3] = ((industry[u] + 1) << 4) | (profiles.seniority[u] + 1);
  }
  return {
    n,
    profiles,
    stubs,
    stubEnd,
    traits,
    capacity,
    company: groupBy(company, nCompanies),
    school: groupBy(school, nSchools),
    location: groupBy(location, LOCATIONS.length),
  };
}

/** Join times, ascending: a launch wave at the start, then a steady trickle over the whole period. */
function joinTimes(p: WorldParams, rng: Rng): Uint32Array {
  const period = p.end - p.start;
  const out = new Uint32Array(p.users);
  for (let u = 0; u < p.users; u++) {
    const span = rng.chance(MODEL.launchUsers) ? MODEL.launchShare * period : period;
    out[u] = p.start + Math.floor(rng.next() * span);
  }
  out[0] = p.start; // someone is there from the first second
  return out.sort();
}

/** Cumulative Zipf–Mandelbrot distribution over k ranks: P(i) ∝ 1 / (i + 1 + q). */
export function zipfCdf(k: number, q: number): Float64Array {
  const cdf = new Float64Array(k);
  let s = 0;
  for (let i = 0; i < k; i++) {
    s += 1 / (i + 1 + q);
    cdf[i] = s;
  }
  for (let i = 0; i < k; i++) cdf[i] /= s;
  return cdf;
}

/** The first index whose cumulative value exceeds x (x uniform in [0, 1)). */
export function sampleCdf(cdf: Float64Array, x: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counting sort of users by group code (-1 = none, left out). Members stay ascending by id. */
function groupBy(codes: Int32Array, k: number): Groups {
  const offsets = new Int32Array(k + 1);
  for (let u = 0; u < codes.length; u++) if (codes[u] >= 0) offsets[codes[u] + 1]++;
  for (let g = 0; g < k; g++) offsets[g + 1] += offsets[g];
  const members = new Int32Array(offsets[k]);
  const cursor = offsets.slice(0, k);
  for (let u = 0; u < codes.length; u++) if (codes[u] >= 0) members[cursor[codes[u]]++] = u;
  return { offsets, members };
}
