/**
 * Which users an incremental run (`pymk pipeline --incremental --since BUNDLE`) recomputes: the one rule the
 * incremental candidates, pair-features and lists stages share. A user is recomputed when its own
 * connections changed (added or removed), its deactivated/banned flag changed, or it is new; the later
 * stages add the users whose input rows (candidate list, pair features, exclusions) differ from BUNDLE's.
 * Every other user's rows are copied from BUNDLE (docs/pipeline.md#incremental-runs says what that leaves
 * stale). Patching needs stable dense ids: BUNDLE's ids a prefix of this run's.
 *
 * Each incremental stage records the users it recomputed (ARTIFACTS.recomputed*: {since, users}); the next
 * stage starts from that set when it was made against the same BUNDLE — every other user's rows are then
 * BUNDLE's by construction — and otherwise derives it by comparing its inputs with BUNDLE's.
 */
import { ARTIFACTS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../../bundle/artifacts.js';
import type { Bundle } from '../../bundle/bundle.js';
import { PymkError } from '../../core/errors.js';
import { readIds } from '../../bundle/read.js';
import { Graph } from '../../graph/csr.js';
import { exclusionMask } from '../../graph/exclusions.js';
import type { StageContext } from '../stage.js';

/** Why `prev` cannot be patched by this run (null: it can): an artifact missing, or unstable ids. */
export async function patchProblem(ctx: StageContext, prev: Bundle, needs: readonly string[]): Promise<string | null> {
  for (const a of needs) if (!prev.has(a)) return `${prev.dir} has no ${a}`;
  const before = await readIds(prev);
  const now = await readIds(ctx);
  if (now.size < before.size) return `${prev.dir} has more users (${before.size}) than this run (${now.size})`;
  const u = now.firstDifferenceFrom(before);
  return u < 0 ? null : `user ids are not stable: dense id ${u} was ${JSON.stringify(before.value(u))}, is ${JSON.stringify(now.value(u))}`;
}

/** Which users' own rows changed: connections added or removed, new users, the exclusion flag changed. */
export function changedUsers(prev: Graph, prevExclude: Uint8Array, cur: Graph, exclude: Uint8Array): Uint8Array {
  const changed = new Uint8Array(cur.n);
  for (let u = 0; u < cur.n; u++) {
    if (u >= prev.n || prevExclude[u] !== exclude[u]) {
      changed[u] = 1;
      continue;
    }
    const a = prev.neighbors(u);
    const b = cur.neighbors(u);
    if (a.length !== b.length) changed[u] = 1;
    else for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) (changed[u] = 1), (i = a.length);
  }
  return changed;
}

/** changedUsers against `prev`'s graph and flags. */
export async function changedSince(prev: Bundle, g: Graph, exclude: Uint8Array): Promise<Uint8Array> {
  const pg = await prev.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
  const prevExclude = exclusionMask((await prev.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS)).flags);
  return changedUsers(new Graph(pg.offsets.length - 1, pg.offsets, pg.targets, pg.times), prevExclude, g, exclude);
}

/** What an incremental stage recorded: the users it recomputed against bundle `since` (and their row lengths there, for candidate-aligned rows). */
interface Recomputed {
  since: string;
  users: number[];
  prevLengths?: number[];
}

/** Records the users a stage recomputed against `prev` (read back by readRecomputed); `prevLength(u)`: u's row length in `prev`. */
export async function writeRecomputed(ctx: StageContext, name: string, prev: Bundle, marked: Uint8Array, prevLength?: (u: number) => number): Promise<void> {
  const users: number[] = [];
  for (let u = 0; u < marked.length; u++) if (marked[u]) users.push(u);
  await ctx.writeJson(name, { since: prev.version, users, ...(prevLength && { prevLengths: users.map(prevLength) }) } satisfies Recomputed);
}

/**
 * The users an earlier stage of this run recomputed against `prev`, as a mask over n users, with their row
 * lengths in `prev` when recorded (per user, 0 elsewhere); null when it recorded none against `prev`.
 */
export async function readRecomputed(ctx: StageContext, name: string, prev: Bundle, n: number): Promise<{ marked: Uint8Array; prevLengths: Int32Array | null } | null> {
  if (!ctx.has(name)) return null;
  const r = await ctx.readJson<Recomputed>(name);
  if (r?.since !== prev.version) return null;
  if (!Array.isArray(r.users)) throw new PymkError('PYMK_BUNDLE_INVALID', `${name}: no users list`);
  const marked = new Uint8Array(n);
  const prevLengths = r.prevLengths ? new Int32Array(n) : null;
  r.users.forEach((u, i) => {
    marked[u] = 1;
    if (prevLengths) prevLengths[u] = r.prevLengths![i];
  });
  return { marked, prevLengths };
}
