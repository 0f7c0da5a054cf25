/**
 * Options of the synthetic world generator, their defaults and validation, and the fixed model constants
 * (mechanism mix, acceptance model, activity rates). Validated once into a frozen `WorldParams`.
 */
import { PymkError } from '../../core/errors.js';

/** What a caller may set. Only `users`, `seed` and (for writing) `out` are required. */
export interface GenerateOptions {
  /** Number of users (ids u0 … u<users-1>). */
  users: number;
  /** Seed for every random choice: the same options give byte-identical files. */
  seed: number;
  /** Output folder (created if missing). */
  out: string;
  /** Target average number of connections per user at the end of the period (default 25, at most (users-1)/2). */
  avgDegree?: number;
  /** Length of the simulated period in days (default 365). */
  days?: number;
  /** Days at the end of the period covered by the activity log (default min(45, days)). */
  logDays?: number;
  /** Start of the period, epoch seconds (default 2024-01-01T00:00:00Z). */
  start?: number;
  /** Hard cap on any user's number of connections (default 3000). */
  maxDegree?: number;
  /** Called as stages progress (fraction 0..1 within the stage). */
  onProgress?: (stage: string, fraction: number) => void;
}

/** Validated, frozen parameters. All times are epoch seconds. */
export interface WorldParams {
  users: number;
  seed: number;
  avgDegree: number;
  days: number;
  logDays: number;
  maxDegree: number;
  start: number;
  end: number;
  /** First second covered by the activity log. */
  logStart: number;
}

export const DEFAULTS = Object.freeze({
  avgDegree: 25,
  days: 365,
  logDays: 45,
  start: 1704067200, // 2024-01-01T00:00:00Z
  maxDegree: 3000,
});

/**
 * The generative model's constants, written into world.json so a dataset documents how it was made.
 * Mechanism weights are the chance that one proposal uses that mechanism (renormalised when one does not apply).
 */
export const MODEL = Object.freeze({
  /** Share of users present in the launch wave (joined within the first `launchShare` of the period). */
  launchUsers: 0.8,
  launchShare: 0.1,
  deactivated: 0.01,
  banned: 0.002,
  /** Users per company / per school on average; sizes follow Zipf–Mandelbrot 1/(rank+q). */
  usersPerCompany: 20,
  usersPerSchool: 150,
  zipfOffset: 10,
  missing: { company: 0.08, school: 0.12, location: 0.03, seniority: 0.02 },
  /** A user's industry is their company's with this probability. */
  industryFollowsCompany: 0.9,
  /** A user lives where their company is with this probability. */
  locationFollowsCompany: 0.7,
  /** Lognormal sigma of the per-user sociability (target degree); capacity = ceil(slack × target). */
  degreeSigma: 1.0,
  capacitySlack: 1.4,
  bannedCapacity: 3,
  mechanisms: { closure: 0.45, company: 0.22, school: 0.1, location: 0.05, preferential: 0.1, random: 0.08 },
  /**
   * Users connect in sessions: one user makes a burst of proposals until this many connections on average
   * (geometric) were accepted. Sessions start ∝ sociability, so degrees follow it as before.
   */
  connectionsPerSession: 3,
  /** Share of sessions started by a user who joined in the last `newcomerDays` (onboarding burst). */
  newcomerShare: 0.12,
  newcomerDays: 14,
  /** Logistic acceptance model for a proposal u → w. */
  accept: {
    bias: 0.3,
    logCommonNeighbors: 1.3,
    sameCompany: 1.8,
    sameSchool: 1.4,
    sameLocation: 0.6,
    sameIndustry: 0.4,
    seniorityGap: -0.15,
  },
  maxTriesPerEdge: 30,
  /** Activity: chances per accepted connection and per declined proposal inside the log window. */
  activity: {
    impressionBeforeInvite: 0.6,
    viewBeforeInvite: 0.5,
    viewBackBeforeAccept: 0.3,
    /** Mean number of other people shown in the same list as an invited one (friends of friends). */
    shownAlongside: 2,
    meanAcceptDelayHours: 20,
    declinedShown: 0.8,
    declinedDismiss: 0.08,
    declinedView: 0.06,
    declinedInvite: 0.04,
    inviteIgnored: 0.7,
    inviteBlocked: 0.03,
    spamInvitesPerBannedPerDay: 0.5,
    spamIgnored: 0.6,
    spamBlocked: 0.2,
  },
});

export type Mechanism = keyof typeof MODEL.mechanisms;
export const MECHANISMS = Object.keys(MODEL.mechanisms) as Mechanism[];

/** Validates options once; throws PYMK_BAD_PARAM naming the option. */
export function resolveParams(opts: Omit<GenerateOptions, 'out' | 'onProgress'>): WorldParams {
  const users = checkInt('users', opts.users, 2, 50_000_000);
  const seed = checkInt('seed', opts.seed, 0, 0xffffffff);
  const avgDegree = opts.avgDegree ?? Math.min(DEFAULTS.avgDegree, (users - 1) / 2);
  if (!Number.isFinite(avgDegree) || avgDegree <= 0 || avgDegree > 1000 || avgDegree > users - 1) {
    throw new PymkError('PYMK_BAD_PARAM', `avgDegree must be in (0, min(1000, users - 1)], got ${avgDegree}`);
  }
  const days = checkInt('days', opts.days ?? DEFAULTS.days, 1, 36500);
  const logDays = checkInt('logDays', opts.logDays ?? Math.min(DEFAULTS.logDays, days), 0, days);
  const maxDegree = checkInt('maxDegree', opts.maxDegree ?? DEFAULTS.maxDegree, 1, 1_000_000);
  const start = checkInt('start', opts.start ?? DEFAULTS.start, 0, 0xffffffff);
  const end = start + days * 86400;
  if (end > 0xffffffff) throw new PymkError('PYMK_BAD_PARAM', `start + days runs past 2106 (epoch ${end})`);
  return Object.freeze({ users, seed, avgDegree, days, logDays, maxDegree, start, end, logStart: end - logDays * 86400 });
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new PymkError('PYMK_BAD_PARAM', `${name} must be an integer in ${min}..${max}, got ${v}`);
  }
  return v;
}
