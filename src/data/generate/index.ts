/**
 * Synthetic world generator: a population with profiles, a connection graph grown over a period by
 * homophily, triadic closure and preferential attachment, and an activity log consistent with it.
 *
 *   simulateWorld(opts)  → the world in memory (typed arrays), no I/O
 *   generateWorld(opts)  → simulates and writes a dataset folder (docs/formats.md), returns the counts
 */
import { mkdir } from 'node:fs/promises';
import { Rng } from '../../core/rng.js';
import { EVENT_TYPES, FLAG_BANNED, FLAG_DEACTIVATED, type EdgeTable, type EventTable, type EventType, type ProfileTable } from '../../core/tables.js';
import { ActivityLog } from './activity.js';
import { GrowingGraph } from './growingGraph.js';
import { growConnections, type GrowthStats } from './growth.js';
import { MECHANISMS, MODEL, resolveParams, type GenerateOptions, type Mechanism, type WorldParams } from './params.js';
import { buildPopulation, type Population } from './population.js';
import { FILES, datasetPaths, profileColumns, writeConnections, writeManifests } from './write.js';
import { writeInWorker } from './writeWorker.js';

export { DEFAULTS, MECHANISMS, MODEL, resolveParams } from './params.js';
export type { GenerateOptions, Mechanism, WorldParams } from './params.js';
export type { Population, Groups } from './population.js';
export { FILES, userId } from './write.js';

/** A generated world in memory. User u is written as `u<u>`; users are numbered in join order. */
export interface SyntheticWorld {
  params: WorldParams;
  population: Population;
  profiles: ProfileTable;
  /** Connections in time order; src proposed, dst accepted. */
  connections: EdgeTable;
  /** Per connection: index into MECHANISMS of the mechanism that proposed it. */
  mechanism: Uint8Array;
  /** Activity log, sorted by time. */
  events: EventTable;
  growth: GrowthStats;
}

export interface WorldCounts {
  users: number;
  connections: number;
  events: number;
  eventsByType: Record<EventType, number>;
  deactivated: number;
  banned: number;
  /** Users who joined after the launch wave. */
  joinedAfterLaunch: number;
  companies: number;
  schools: number;
  locations: number;
  industries: number;
  degree: { mean: number; median: number; p99: number; max: number };
  connectionsByMechanism: Record<Mechanism, number>;
  connectionsInLogWindow: number;
  proposals: number;
  acceptanceRate: number;
}

export interface GenerateResult {
  dir: string;
  /** Absolute or caller-relative paths of the files written, by role. */
  files: Record<keyof typeof FILES, string>;
  params: WorldParams;
  counts: WorldCounts;
}

/** Simulates a world in memory. Same options → same world, bit for bit. */
export function simulateWorld(opts: Omit<GenerateOptions, 'out'>): SyntheticWorld {
  return growWorld(prepareWorld(opts));
}

/** A world with its population drawn, not yet grown. */
interface Prepared {
  params: WorldParams;
  population: Population;
  growRng: Rng;
  logRng: Rng;
  progress: (stage: string, fraction: number) => void;
}

function prepareWorld(opts: Omit<GenerateOptions, 'out'>): Prepared {
  const params = resolveParams(opts);
  const progress = opts.onProgress ?? (() => {});
  const root = new Rng(params.seed);
  const popRng = root.fork(1);
  const growRng = root.fork(2);
  const logRng = root.fork(3);
  progress('population', 0);
  const population = buildPopulation(params, popRng);
  progress('population', 1);
  return { params, population, growRng, logRng, progress };
}

function growWorld({ params, population, growRng, logRng, progress }: Prepared): SyntheticWorld {
  let capacityTotal = 0;
  for (let u = 0; u < population.n; u++) capacityTotal += population.capacity[u];
  const maxEdges = Math.min(Math.round((params.users * params.avgDegree) / 2), Math.floor(capacityTotal / 2));
  const graph = new GrowingGraph(population.capacity, population.traits, memoryLayout(population), maxEdges);
  const log = new ActivityLog(params, population, graph, logRng);
  progress('connections', 0);
  const growth = growConnections(params, population, graph, log, growRng, (f) => progress('connections', f));
  const m = graph.edgeCount;
  const connections: EdgeTable = {
    count: m,
    src: graph.src.subarray(0, m),
    dst: graph.dst.subarray(0, m),
    ts: graph.ts.subarray(0, m),
  };
  progress('events', 0);
  const events = log.finish();
  progress('events', 1);
  return { params, population, profiles: population.profiles, connections, mechanism: graph.mechanism.subarray(0, m), events, growth };
}

/** Users grouped by company (those without one last), the block order of the growing graph. */
function memoryLayout(pop: Population): Int32Array {
  const out = new Int32Array(pop.n);
  out.set(pop.company.members);
  let k = pop.company.members.length;
  const company = pop.profiles.codes.company;
  for (let u = 0; u < pop.n; u++) if (company[u] < 0) out[k++] = u;
  return out;
}

/**
 * Simulates a world and writes it as a dataset folder at `opts.out` (created if missing; files of the same
 * names are replaced). users.jsonl is written on a worker thread while the graph grows, and events.jsonl on
 * another while this thread writes connections.csv.
 */
export async function generateWorld(opts: GenerateOptions): Promise<GenerateResult> {
  const prepared = prepareWorld(opts);
  const p = prepared.params;
  await mkdir(opts.out, { recursive: true });
  const files = datasetPaths(opts.out);
  const profilesWritten = writeInWorker({ kind: 'profiles', path: files.profiles, data: profileColumns(prepared.population.profiles) });
  const world = growWorld(prepared);
  const counts = countWorld(world);
  opts.onProgress?.('write', 0);
  const eventsWritten = writeInWorker({ kind: 'events', path: files.events, data: world.events });
  // Every writer is waited for, also when one fails: a rejection while another still writes would leave
  // files appearing in the folder after generateWorld returned.
  const written = await Promise.allSettled([writeConnections(files.connections, world.connections), profilesWritten, eventsWritten]);
  const failed = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const summary = {
    generator: 'pymk generate',
    params: { ...p, startIso: iso(p.start), endIso: iso(p.end), logStartIso: iso(p.logStart) },
    counts,
    model: MODEL,
  };
  await writeManifests(files, `synthetic-n${p.users}-s${p.seed}`, summary);
  opts.onProgress?.('write', 1);
  return { dir: opts.out, files, params: p, counts };
}

/** Counts and degree statistics of a world (what world.json reports). */
export function countWorld(w: SyntheticWorld): WorldCounts {
  const n = w.params.users;
  const pr = w.profiles;
  const degree = new Int32Array(n);
  const e = w.connections;
  let inWindow = 0;
  for (let i = 0; i < e.count; i++) {
    degree[e.src[i]]++;
    degree[e.dst[i]]++;
    if (e.ts[i] >= w.params.logStart) inWindow++;
  }
  degree.sort();
  const eventsByType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
  for (let i = 0; i < w.events.count; i++) eventsByType[EVENT_TYPES[w.events.type[i]]]++;
  const byMechanism = Object.fromEntries(MECHANISMS.map((m) => [m, 0])) as Record<Mechanism, number>;
  for (let i = 0; i < e.count; i++) byMechanism[MECHANISMS[w.mechanism[i]]]++;
  let deactivated = 0;
  let banned = 0;
  let late = 0;
  const launchEnd = w.params.start + MODEL.launchShare * (w.params.end - w.params.start);
  for (let u = 0; u < n; u++) {
    if (pr.flags[u] & FLAG_DEACTIVATED) deactivated++;
    if (pr.flags[u] & FLAG_BANNED) banned++;
    if (pr.joinedAt[u] >= launchEnd) late++;
  }
  return {
    users: n,
    connections: e.count,
    events: w.events.count,
    eventsByType,
    deactivated,
    banned,
    joinedAfterLaunch: late,
    companies: pr.dicts.company.size,
    schools: pr.dicts.school.size,
    locations: pr.dicts.location.size,
    industries: pr.dicts.industry.size,
    degree: {
      mean: round3((2 * e.count) / n),
      median: degree[Math.floor(n / 2)],
      p99: degree[Math.min(n - 1, Math.floor(n * 0.99))],
      max: degree[n - 1],
    },
    connectionsByMechanism: byMechanism,
    connectionsInLogWindow: inWindow,
    proposals: w.growth.proposals,
    acceptanceRate: round3(w.growth.proposals === 0 ? 0 : w.growth.accepted / w.growth.proposals),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString();
}
