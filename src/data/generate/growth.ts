/**
 * Grows the connection graph over the period. Users connect in sessions: a session's user makes a burst of
 * proposals, each to a partner found by one mechanism — triadic closure (a friend of a friend, so pairs with
 * more common neighbours are proposed more often), homophily (same company, school or location),
 * preferential attachment, or chance — and the pair connects with a logistic probability that rises with
 * common neighbours and shared profile fields. The k-th connection made gets a time that rises with k, so
 * the edge list comes out in time order. Declined proposals in the log window go to the activity log.
 *
 * Speed: the process is bound by random memory reads, not arithmetic. `LANES` sessions run side by side
 * and each round walks them in stages (pick the user, the friend, the friend's friend) so that the reads
 * of different lanes overlap; the decisions are then taken one lane at a time against the current graph,
 * so the result is exactly as if proposals were made one after another. Deterministic for a given rng.
 */
import type { Rng } from '../../core/rng.js';
import type { ActivityLog } from './activity.js';
import { H_CAPACITY, H_DEGREE, H_ID, H_ROW, H_TRAITS, type GrowingGraph } from './growingGraph.js';
import { MECHANISMS, MODEL, type WorldParams } from './params.js';
import type { Population } from './population.js';

const CLOSURE = MECHANISMS.indexOf('closure');
const COMPANY = MECHANISMS.indexOf('company');
const SCHOOL = MECHANISMS.indexOf('school');
const LOCATION = MECHANISMS.indexOf('location');
const PREFERENTIAL = MECHANISMS.indexOf('preferential');
const RANDOM = MECHANISMS.indexOf('random');
/** Sessions in flight at once. */
const LANES = 16;
/** Int32 slots per cache line: a block's header and first row entries span up to two lines. */
const LINE = 16;

/** Cumulative mechanism thresholds in MECHANISMS order. */
const MECH_CDF = (() => {
  const w = MECHANISMS.map((m) => MODEL.mechanisms[m]);
  const total = w.reduce((a, b) => a + b, 0);
  let s = 0;
  return Float64Array.from(w, (x) => (s += x / total));
})();

export interface GrowthStats {
  proposals: number;
  accepted: number;
  /** Connections short of the target: rounds in which no lane found an acceptable pair used up time. */
  missedEdges: number;
}

/** Runs the growth process, filling `g` with up to g.maxEdges connections. */
export function growConnections(
  p: WorldParams,
  pop: Population,
  g: GrowingGraph,
  log: ActivityLog,
  rng: Rng,
  onProgress?: (fraction: number) => void,
): GrowthStats {
  const n = pop.n;
  const joinedAt = pop.profiles.joinedAt;
  const { at, mem } = g;
  const a = MODEL.accept;
  const M = g.maxEdges;
  const period = p.end - p.start;
  const newcomerSec = MODEL.newcomerDays * 86400;
  const sessionEnd = 1 / MODEL.connectionsPerSession;
  const stats: GrowthStats = { proposals: 0, accepted: 0, missedEdges: 0 };
  const progressEvery = Math.max(1, Math.floor(M / 50));
  const stubEnd = pop.stubEnd;
  const stubRefs = toRefs(pop.stubs, at);
  const groups = [pop.company, pop.school, pop.location];
  const groupOffsets = groups.map((gr) => gr.offsets);
  const memberRefs = groups.map((gr) => toRefs(gr.members, at));
  /** Per group kind, how many members of each group have joined (members are ascending, so a prefix). */
  const joinedIn = groups.map((gr) => new Int32Array(gr.offsets.length - 1));
  let joined = 0; // users 0..joined-1 have joined by `clock`
  let recent = 0; // users recent..joined-1 joined within the last newcomerDays
  let clock = p.start;
  // Per lane: the session's user (ref, -1 none), connections it may still make, the proposal in progress.
  const user = new Int32Array(LANES).fill(-1);
  const left = new Int32Array(LANES);
  const mech = new Int32Array(LANES);
  const pivot = new Int32Array(LANES);
  const partner = new Int32Array(LANES);
  let sink = 0; // sums the stage reads so they are not optimised away

  const hasRoom = (b: number): boolean => mem[b + H_DEGREE] < mem[b + H_CAPACITY];

  /** Moves the clock forward to t (never back) and admits the users who joined by then. */
  const advanceClock = (t: number): void => {
    if (t <= clock && joined > 0) return;
    clock = Math.max(clock, t);
    for (; joined < n && joinedAt[joined] <= clock; joined++) {
      const b = at[joined];
      for (let kind = 0; kind < 3; kind++) {
        const code = mem[b + H_TRAITS + kind];
        if (code >= 0) joinedIn[kind][code]++;
      }
    }
    while (recent < joined && joinedAt[recent] + newcomerSec < clock) recent++;
  };

  /** A new session's user (ref): joined, ∝ sociability or a newcomer; may be full (the lane then idles). */
  const newSessionUser = (): number =>
    recent < joined && rng.chance(MODEL.newcomerShare) ? at[recent + rng.int(joined - recent)] : stubRefs[rng.int(stubEnd[joined])];

  /** A random joined member (ref) of the group of kind 0 company, 1 school, 2 location of ref b, or -1. */
  const groupMate = (b: number, kind: number): number => {
    const code = mem[b + H_TRAITS + kind];
    if (code < 0) return -1;
    const count = joinedIn[kind][code];
    return count < 2 ? -1 : memberRefs[kind][groupOffsets[kind][code] + rng.int(count)];
  };

  /** First stage of a proposal from ref b: a mechanism, and the friend (closure) or the partner (others). */
  const startProposal = (i: number, b: number): void => {
    const x = rng.next();
    let m = 0;
    while (m < MECH_CDF.length - 1 && x >= MECH_CDF[m]) m++;
    if (m === CLOSURE && mem[b + H_DEGREE] === 0) m = COMPANY;
    let w = -1;
    if (m === CLOSURE) {
      pivot[i] = mem[b + H_ROW + rng.int(mem[b + H_DEGREE])];
    } else {
      w = directPartner(b, m);
      if (w < 0) {
        m = RANDOM;
        w = directPartner(b, m);
      }
    }
    mech[i] = m;
    partner[i] = w;
  };

  /** A partner for ref b by a mechanism other than closure, or -1 when b has no such group. */
  const directPartner = (b: number, m: number): number => {
    if (m === COMPANY) return groupMate(b, 0);
    if (m === SCHOOL) return groupMate(b, 1);
    if (m === LOCATION) return groupMate(b, 2);
    if (m === PREFERENTIAL) return stubRefs[rng.int(stubEnd[joined])]; // ∝ sociability, i.e. expected degree
    return at[rng.int(joined)];
  };

  /** Logistic acceptance: log common neighbours, shared company/school/location/industry, seniority gap. */
  const acceptProbability = (bu: number, bw: number, common: number): number => {
    const i = bu + H_TRAITS;
    const j = bw + H_TRAITS;
    const su = mem[i + 3];
    const sw = mem[j + 3];
    const senU = (su & 15) - 1;
    const senW = (sw & 15) - 1;
    const z =
      a.bias +
      a.logCommonNeighbors * Math.log1p(common) +
      (mem[i] >= 0 && mem[i] === mem[j] ? a.sameCompany : 0) +
      (mem[i + 1] >= 0 && mem[i + 1] === mem[j + 1] ? a.sameSchool : 0) +
      (mem[i + 2] >= 0 && mem[i + 2] === mem[j + 2] ? a.sameLocation : 0) +
      (su >> 4 !== 0 && su >> 4 === sw >> 4 ? a.sameIndustry : 0) +
      a.seniorityGap * (senU >= 0 && senW >= 0 ? Math.abs(senU - senW) : 3);
    return 1 / (1 + Math.exp(-z));
  };

  // Time runs with edge slots: slot k (k = connections made + rounds that made none) has time ≈ k/M of
  // the period, so a round with no connection still moves time on and the loop always ends.
  let skipped = 0;
  while (g.edgeCount + skipped < M) {
    advanceClock(p.start + Math.floor(((g.edgeCount + skipped) * period) / M));
    if (joined < 2) advanceClock(joinedAt[1]);
    // Each stage first computes every lane's next address, then reads them all in one tight loop, so the
    // cache misses of the lanes are in flight together.
    // Stage 1: every lane has a session user.
    for (let i = 0; i < LANES; i++) {
      if (user[i] < 0 || left[i] <= 0 || !hasRoom(user[i])) {
        user[i] = newSessionUser();
        left[i] = 1;
        while (!rng.chance(sessionEnd)) left[i]++;
      }
    }
    for (let i = 0; i < LANES; i++) sink ^= mem[user[i] + H_DEGREE] ^ mem[user[i] + LINE];
    // Stage 2: mechanism and first hop: the friend (closure) or the partner (others).
    for (let i = 0; i < LANES; i++) startProposal(i, user[i]);
    for (let i = 0; i < LANES; i++) {
      const b = mech[i] === CLOSURE ? pivot[i] : partner[i];
      sink ^= mem[b + H_DEGREE] ^ mem[b + LINE];
    }
    // Stage 3: second hop of triadic closure.
    for (let i = 0; i < LANES; i++) {
      if (mech[i] !== CLOSURE) continue;
      const v = pivot[i];
      partner[i] = mem[v + H_ROW + rng.int(mem[v + H_DEGREE])];
    }
    for (let i = 0; i < LANES; i++) sink ^= mem[partner[i] + H_DEGREE] ^ mem[partner[i] + LINE];
    // Stage 3b: a partner who is the user, full or already a friend gets one more draw by the same
    // mechanism (for closure from the same, cached, friend's row): cheaper than a whole new proposal.
    for (let i = 0; i < LANES; i++) {
      const w = partner[i];
      if (w !== user[i] && hasRoom(w) && !g.connectedRefs(user[i], w)) continue;
      if (mech[i] === CLOSURE) partner[i] = mem[pivot[i] + H_ROW + rng.int(mem[pivot[i] + H_DEGREE])];
      else partner[i] = directPartner(user[i], mech[i]);
      sink ^= mem[partner[i] + H_DEGREE];
    }
    // Stage 4: decide, lane by lane, against the graph as it is now.
    let progressed = false;
    for (let i = 0; i < LANES && g.edgeCount + skipped < M; i++) {
      const bu = user[i];
      const bw = partner[i];
      if (bw === bu || !hasRoom(bu) || !hasRoom(bw) || g.connectedRefs(bu, bw) || g.isBlockedRefs(bu, bw)) continue;
      stats.proposals++;
      const m = mech[i];
      const logging = clock >= p.logStart;
      if (rng.next() < acceptProbability(bu, bw, g.commonNeighbors(bu, bw))) {
        const k = g.edgeCount + skipped;
        const ts = Math.max(clock, p.start + Math.floor(((k + rng.next()) * period) / M));
        if (ts >= p.logStart) log.tick(ts, joined);
        g.add(bu, bw, ts, m);
        left[i]--;
        progressed = true;
        if (ts >= p.logStart) log.connected(mem[bu + H_ID], mem[bw + H_ID], ts, m);
        if (onProgress && g.edgeCount % progressEvery === 0) onProgress(k / M);
      } else if (logging) {
        log.declined(mem[bu + H_ID], mem[bw + H_ID], clock, m);
      }
    }
    if (!progressed) skipped++;
  }
  stats.accepted = g.edgeCount;
  stats.missedEdges = M - g.edgeCount + (sink === 0.5 ? 1 : 0); // (sink is an integer: this keeps the reads)
  return stats;
}

/** Maps an array of user ids to their refs. */
function toRefs(ids: Int32Array, at: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = at[ids[i]];
  return out;
}
