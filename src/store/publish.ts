/**
 * Publishing a Snapshot into Redis (one node or a cluster).
 *
 * - A publish writes a new generation: every key under `<prefix>:g<gen>:`, so readers, who follow the
 *   pointer key, never see it until it is complete. The generation's meta is written last.
 * - Users go in chunks; chunks are pipelined (per node in a cluster) with a few in flight. After each
 *   contiguous run of finished chunks a progress record `<prefix>:publish:<version>` is updated, so a rerun
 *   after a crash resumes at the first unfinished chunk of the same generation. Every write is a plain SET
 *   of a whole value, so rewriting a chunk is idempotent: no duplicates, and nothing of another version.
 * - The switch is a compare-and-set of the pointer (switch_version.lua): it fails if another publish
 *   switched meanwhile. The previous generation then gets a short TTL (`graceMs`) so requests that started
 *   on it can finish; every key also has its kind's TTL from the start (ttl.ts).
 */
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS, type ProfileField } from '../core/tables.js';
import { stderrLog, type LogFn, type ProgressFactory } from '../core/progress.js';
import { anyNonZero, encodeBehaviour, encodeCandidates, encodeIds, encodeInArena, encodeProfile, encodeRanked, type ProfileRow } from './codec.js';
import { encodeEmbedding, type EmbeddingDtype } from './codecEmbedding.js';
import { encodeProfilePack, profileRowTable } from './codecProfiles.js';
import { DEFAULT_BUCKETS, keySlot, type GenKeys, type KeySpace } from './keys.js';
import type { KvClient, SetOp } from './kv.js';
import { META_FORMAT, decodeMeta, encodeMeta, type GenMeta } from './meta.js';
import { RespSets } from './redisBulk.js';
import { PAIR_FEATURES, row, type Snapshot } from './snapshot.js';
import { BEHAVIOUR_FEATURES, BEHAVIOUR_SET, DEFAULT_TTL, valueTtls, type TtlConfig, type ValueTtls } from './ttl.js';

export interface PublishOptions {
  ttl?: TtlConfig;
  buckets?: number;
  /** Users per chunk (default 2,000). */
  chunkUsers?: number;
  /** Chunks written concurrently (default 4). */
  inFlight?: number;
  /** How long the replaced generation stays readable after the switch (default PUBLISH_RETIRE_GRACE_MS). */
  graceMs?: number;
  embeddingDtype?: EmbeddingDtype;
  /** Write a fresh generation even when this version is already the current one (refreshes TTLs). */
  force?: boolean;
  progress?: ProgressFactory;
  /** Where problems the publish works around are reported (an unusable progress record; default stderr). */
  log?: LogFn;
  /** Called after chunk `done - 1` is recorded as finished; a throw here stops the publish (crash tests). */
  onChunk?: (done: number, total: number) => void | Promise<void>;
}

export interface PublishReport {
  version: string;
  gen: number;
  previousGen: number | null;
  /** 'published', or 'current' when this version was already being served (nothing written). */
  outcome: 'published' | 'current';
  /** First chunk written by this run (> 0 when it resumed an interrupted publish). */
  resumedAt: number;
  chunks: number;
  /** Keys written by this run, and in the whole generation. */
  keysWritten: number;
  keysTotal: number;
  bytesWritten: number;
  seconds: number;
  keysPerSecond: number;
  mbPerSecond: number;
}

/** The progress record of an unfinished publish. */
interface Progress {
  gen: number;
  previous: string;
  users: number;
  chunkUsers: number;
  buckets: number;
  next: number;
  keys: number;
  startedAt: number;
}

export async function publishSnapshot(kv: KvClient, space: KeySpace, snap: Snapshot, opts: PublishOptions = {}): Promise<PublishReport> {
  const t0 = performance.now();
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const ttls = valueTtls(ttl);
  const chunkUsers = opts.chunkUsers ?? 2000;
  const buckets = opts.buckets ?? DEFAULT_BUCKETS;
  const n = snap.ids.size;
  const chunks = Math.ceil(n / chunkUsers);
  const recKey = space.publishing(snap.version);

  const ptr = (await kv.get(space.pointer()))?.toString() ?? '';
  const rec = parseProgress(await kv.get(recKey), recKey, opts.log ?? stderrLog);
  if (ptr !== '' && !opts.force) {
    const cur = space.gen(Number(ptr), 1);
    const metaBuf = await kv.get(cur.meta());
    if (metaBuf && decodeMeta(metaBuf, cur.meta()).version === snap.version) {
      // Already served; finish the cleanup of a run that crashed right after its switch.
      if (rec && rec.gen === Number(ptr)) await retire(kv, space, rec.previous, opts.graceMs, recKey);
      const meta = decodeMeta(metaBuf, cur.meta());
      return report(t0, { version: snap.version, gen: meta.gen, previousGen: null, outcome: 'current', resumedAt: 0, chunks: 0, keysWritten: 0, keysTotal: meta.keys, bytesWritten: 0 });
    }
  }

  const minTtl = Math.min(...Object.values(ttls).filter((x) => x > 0), Infinity);
  const resumable =
    rec && !opts.force && rec.users === n && rec.chunkUsers === chunkUsers && rec.buckets === buckets && rec.previous === ptr && Date.now() - rec.startedAt < minTtl / 2;
  const p: Progress = resumable
    ? rec
    : { gen: Number(await kv.script('nextGeneration', [space.genCounter()], [Date.now()])), previous: ptr, users: n, chunkUsers, buckets, next: 0, keys: 0, startedAt: Date.now() };
  const recTtl = Number.isFinite(minTtl) ? minTtl : 0;
  if (!resumable) {
    // An abandoned run's generation was never served: drop it now rather than wait for its TTLs.
    if (rec && String(rec.gen) !== ptr) await kv.scan(space.genPattern(rec.gen), (batch) => kv.expire(batch, 0));
    await kv.set([{ key: recKey, value: JSON.stringify(p), px: recTtl }]);
  }

  const keys = space.gen(p.gen, buckets);
  const resumedAt = p.next;
  const bar = opts.progress?.(`publish ${snap.version}`, n);
  bar?.update(Math.min(n, p.next * chunkUsers));
  let written = 0;
  let bytes = 0;
  const inFlight = Math.max(1, opts.inFlight ?? 4);
  const done = new Map<number, number>(); // finished chunk → keys it wrote
  const running = new Set<Promise<void>>();
  const writer = new ChunkWriter(snap, keys, ttls, opts.embeddingDtype ?? 'f16', kv.slotRouter());
  let launch = p.next;
  while (p.next < chunks) {
    while (running.size < inFlight && launch < chunks) {
      const i = launch++;
      const perNode = writer.chunk(i * chunkUsers, Math.min(n, (i + 1) * chunkUsers));
      let count = 0;
      for (const sets of perNode.values()) count += sets.count;
      const task: Promise<void> = Promise.all([...perNode].map(([node, sets]) => kv.setRaw(node, sets.written(), sets.count))).then(() => {
        done.set(i, count);
        running.delete(task);
        written += count;
        for (const sets of perNode.values()) bytes += sets.payload;
        writer.release(perNode);
        bar?.tick(Math.min(n, (i + 1) * chunkUsers) - i * chunkUsers);
      });
      task.catch(() => {}); // its error is thrown by the Promise.race below; this marks it handled if another task failed first
      running.add(task);
    }
    if (running.size > 0) await Promise.race(running);
    let next = p.next;
    let keysDone = 0;
    for (let k = done.get(next); k !== undefined; k = done.get(next)) {
      keysDone += k;
      done.delete(next++);
    }
    if (next > p.next) {
      p.keys += keysDone;
      p.next = next;
      await kv.set([{ key: recKey, value: JSON.stringify(p), px: recTtl }]);
      await opts.onChunk?.(next, chunks);
    }
  }
  bar?.done();

  const meta: GenMeta = {
    format: META_FORMAT,
    version: snap.version,
    gen: p.gen,
    users: n,
    buckets,
    pairFeatures: [...PAIR_FEATURES],
    ttl,
    hasLists: snap.lists !== null,
    embedding: snap.embeddings ? { dim: snap.embeddings.dim, dtype: opts.embeddingDtype ?? 'f16' } : null,
    keys: p.keys + 2,
    publishedAt: new Date().toISOString(),
  };
  const dicts = Object.fromEntries(PROFILE_FIELDS.map((f: ProfileField) => [f, snap.profiles.dicts[f].toArray()]));
  await kv.set([{ key: keys.dicts(), value: JSON.stringify(dicts), px: ttls.meta }]);
  await kv.set([{ key: keys.meta(), value: encodeMeta(meta), px: ttls.meta }]);
  written += 2;

  await kv.script('switchVersion', [space.pointer()], [String(p.gen), p.previous]);
  await retire(kv, space, p.previous, opts.graceMs, recKey);
  const previousGen = p.previous === '' ? null : Number(p.previous);
  return report(t0, { version: snap.version, gen: p.gen, previousGen, outcome: 'published', resumedAt, chunks, keysWritten: written, keysTotal: meta.keys, bytesWritten: bytes });
}

/**
 * How long a replaced generation stays readable after the pointer switch: readers re-read the pointer every
 * STORE_REFRESH_MS (1 s), so a minute covers their requests in flight with a wide margin for slow ones.
 */
export const PUBLISH_RETIRE_GRACE_MS = 60_000;

/** Gives the replaced generation a short TTL and drops the progress record. */
async function retire(kv: KvClient, space: KeySpace, previous: string, graceMs = PUBLISH_RETIRE_GRACE_MS, recKey: string): Promise<void> {
  if (previous !== '') await kv.scan(space.genPattern(Number(previous)), (batch) => kv.expire(batch, Math.max(1, graceMs)));
  await kv.del([recKey]);
}

/** The SETs for users lo..hi-1, as objects (the general write path; publish itself uses ChunkWriter). */
export function chunkOps(snap: Snapshot, k: GenKeys, t: ValueTtls, lo: number, hi: number, dtype: EmbeddingDtype): SetOp[] {
  return encodeInArena(() => encodeChunk(snap, k, t, lo, hi, dtype));
}

/** User u's profile row as the profile codec takes it (degree as of the bundle). */
function profileRow(p: Snapshot['profiles'], g: Snapshot['graph'], u: number): ProfileRow {
  return {
    company: p.codes.company[u],
    school: p.codes.school[u],
    location: p.codes.location[u],
    industry: p.codes.industry[u],
    seniority: p.seniority[u],
    flags: p.flags[u],
    degree: g.degree(u),
  };
}

function encodeChunk(snap: Snapshot, k: GenKeys, t: ValueTtls, lo: number, hi: number, dtype: EmbeddingDtype): SetOp[] {
  const ops: SetOp[] = [];
  const { profiles: p, graph: g, candidates: c, lists, embeddings: e } = snap;
  const ext = snap.ids.toArray();
  const table = rowTable(snap);
  for (let u = lo; u < hi; u++) assertUniqueCandidates(snap, u);
  for (let u = lo; u < hi; u++) {
    ops.push({ key: k.id(ext[u]), value: String(u), px: t.ids });
    ops.push({ key: k.ext(u), value: ext[u], px: t.ids });
    ops.push({
      key: k.profile(u),
      value: encodeProfile(profileRow(p, g, u)),
      px: t.profile,
    });
    ops.push({ key: k.profiles(u), value: encodeProfilePack(u, c.cand, c.offsets[u], c.offsets[u + 1], table), px: t.profile });
    if (c.offsets[u + 1] > c.offsets[u]) {
      ops.push({ key: k.candidates(u), value: encodeCandidates(c.cand, c.score, c.features, c.offsets[u], c.offsets[u + 1], BEHAVIOUR_SET), px: t.candidates });
      const beh = encodeBehaviour(c.cand, c.features, c.offsets[u], c.offsets[u + 1], BEHAVIOUR_FEATURES);
      if (beh) ops.push({ key: k.behaviour(u), value: beh, px: t.behaviour });
    }
    if (g.degree(u) > 0) ops.push({ key: k.connections(u), value: encodeIds(g.neighbors(u)), px: t.graph });
    const b = row(snap.blocked, u);
    if (b.length > 0) ops.push({ key: k.blocked(u), value: encodeIds(b), px: t.graph });
    const d = row(snap.dismissed, u);
    if (d.length > 0) ops.push({ key: k.dismissed(u), value: encodeIds(d), px: t.graph });
    if (lists && lists.offsets[u + 1] > lists.offsets[u]) ops.push({ key: k.staticList(u), value: encodeRanked(lists.cand, lists.score, lists.offsets[u], lists.offsets[u + 1]), px: t.static });
    if (e) ops.push({ key: k.embedding(u), value: encodeEmbedding(e.vectors.subarray(u * e.dim, (u + 1) * e.dim), dtype), px: t.embedding });
  }
  return ops;
}

const ascii = (text: string): Buffer => Buffer.from(text, 'utf8');
/** The constant tails of a user's own keys (GenKeys: `<base>{<uid>}c` …). */
const TAIL = { candidates: ascii('}c'), profiles: ascii('}p'), behaviour: ascii('}h'), connections: ascii('}n'), blocked: ascii('}b'), dismissed: ascii('}d'), staticList: ascii('}s') };

/**
 * The same SETs as chunkOps, in the same order, serialised straight into one protocol buffer per master
 * (RespSets): keys are written from constant heads and the user's number, no string or object per key.
 * Values still come from the codecs (so they are the codecs' bytes), carved out of an arena.
 */
export class ChunkWriter {
  private readonly base: Buffer;
  private readonly idHead: Buffer;
  private readonly bucket: { ext: Buffer; profile: Buffer; embedding: Buffer; slot: number }[];
  /** Bytes per user of the last chunk (per master), to size the next chunk's buffers without regrowing. */
  private bytesPerUser = 0;

  constructor(
    private readonly snap: Snapshot,
    private readonly k: GenKeys,
    private readonly t: ValueTtls,
    private readonly dtype: EmbeddingDtype,
    /** The master of a slot on a cluster; null on one node (everything goes to ''). */
    private readonly route: ((slot: number) => string) | null,
  ) {
    this.base = ascii(`${k.base}{`);
    this.idHead = ascii(`${k.base}id:`);
    this.bucket = Array.from({ length: k.buckets }, (_, b) => {
      const head = k.bucketHead(b);
      return { ext: ascii(`${head}x`), profile: ascii(`${head}p`), embedding: ascii(`${head}e`), slot: keySlot(head) };
    });
  }

  /** Buffers of chunks already written, reused by the next chunks. */
  private readonly free: Buffer[] = [];

  /** Users lo..hi-1: the serialised SETs per master. Hand them back with release() once written. */
  chunk(lo: number, hi: number): Map<string, RespSets> {
    return encodeInArena(() => this.encode(lo, hi), true);
  }

  /** A written chunk's buffers, for the next chunks. */
  release(chunk: Map<string, RespSets>): void {
    for (const s of chunk.values()) this.free.push(s.release());
  }

  private encode(lo: number, hi: number): Map<string, RespSets> {
    const { snap, k, t, dtype } = this;
    const { profiles: p, graph: g, candidates: c, lists, embeddings: e } = snap;
    const ext = snap.ids.toArray();
    const table = rowTable(snap);
    for (let u = lo; u < hi; u++) assertUniqueCandidates(snap, u);
    const out = new Map<string, RespSets>();
    const initial = Math.max(1 << 16, Math.ceil(this.bytesPerUser * (hi - lo) * 1.1));
    const sets = (slot: number): RespSets => {
      const node = this.route ? this.route(slot) : '';
      let s = out.get(node);
      if (!s) out.set(node, (s = new RespSets(initial, this.free.pop())));
      return s;
    };
    const one = this.route ? null : sets(0);
    for (let u = lo; u < hi; u++) {
      const bk = this.bucket[u % k.buckets];
      const own = one ?? sets(keySlot(String(u)));
      const bs = one ?? sets(bk.slot);
      (one ?? sets(keySlot(k.id(ext[u])))).set(this.idHead, ext[u], null, u, t.ids);
      bs.set(bk.ext, u, null, ext[u], t.ids);
      bs.set(
        bk.profile,
        u,
        null,
        encodeProfile(profileRow(p, g, u)),
        t.profile,
      );
      own.set(this.base, u, TAIL.profiles, encodeProfilePack(u, c.cand, c.offsets[u], c.offsets[u + 1], table), t.profile);
      if (c.offsets[u + 1] > c.offsets[u]) {
        own.set(this.base, u, TAIL.candidates, encodeCandidates(c.cand, c.score, c.features, c.offsets[u], c.offsets[u + 1], BEHAVIOUR_SET), t.candidates);
        const beh = encodeBehaviour(c.cand, c.features, c.offsets[u], c.offsets[u + 1], BEHAVIOUR_FEATURES);
        if (beh) own.set(this.base, u, TAIL.behaviour, beh, t.behaviour);
      }
      if (g.degree(u) > 0) own.set(this.base, u, TAIL.connections, encodeIds(g.neighbors(u)), t.graph);
      const b = row(snap.blocked, u);
      if (b.length > 0) own.set(this.base, u, TAIL.blocked, encodeIds(b), t.graph);
      const d = row(snap.dismissed, u);
      if (d.length > 0) own.set(this.base, u, TAIL.dismissed, encodeIds(d), t.graph);
      if (lists && lists.offsets[u + 1] > lists.offsets[u]) own.set(this.base, u, TAIL.staticList, encodeRanked(lists.cand, lists.score, lists.offsets[u], lists.offsets[u + 1]), t.static);
      if (e) bs.set(bk.embedding, u, null, encodeEmbedding(e.vectors.subarray(u * e.dim, (u + 1) * e.dim), dtype), t.embedding);
    }
    for (const s of out.values()) this.bytesPerUser = Math.max(this.bytesPerUser, s.size() / Math.max(1, hi - lo));
    return out;
  }
}

/** How many keys users lo..hi-1 produce (the same rules as chunkOps, without encoding; for checks). */
export function countKeys(snap: Snapshot, lo: number, hi: number): number {
  const { graph: g, candidates: c, lists, embeddings: e } = snap;
  let n = 0;
  for (let u = lo; u < hi; u++) {
    n += 4;
    if (c.offsets[u + 1] > c.offsets[u]) n++;
    if (hasBehaviour(snap, c.offsets[u], c.offsets[u + 1])) n++;
    if (g.degree(u) > 0) n++;
    if (row(snap.blocked, u).length > 0) n++;
    if (row(snap.dismissed, u).length > 0) n++;
    if (lists && lists.offsets[u + 1] > lists.offsets[u]) n++;
    if (e) n++;
  }
  return n;
}

/**
 * Behavioural features are matched to list rows by candidate id, so a list may not hold an id twice (the
 * 2-hop and ANN generators never do); a bundle that does is refused rather than published ambiguously.
 */
function assertUniqueCandidates(snap: Snapshot, u: number): void {
  const c = snap.candidates;
  const lo = c.offsets[u];
  const hi = c.offsets[u + 1];
  if (hi - lo < 2) return;
  let s = STAMPS.get(snap);
  if (!s || s.epoch >= 0x7fffffff) STAMPS.set(snap, (s = { seen: new Int32Array(snap.ids.size), epoch: 0 }));
  const mark = ++s.epoch;
  for (let i = lo; i < hi; i++) {
    const v = c.cand[i];
    if (s.seen[v] === mark) {
      throw new PymkError('PYMK_BUNDLE_INVALID', `user ${snap.ids.value(u)}'s candidate list holds user ${snap.ids.value(v)} twice; lists must not repeat a candidate`);
    }
    s.seen[v] = mark;
  }
}

/** Per snapshot, every user's profile row interleaved (built once, for the profile packs). */
const TABLES = new WeakMap<Snapshot, Int32Array>();

function rowTable(snap: Snapshot): Int32Array {
  let t = TABLES.get(snap);
  if (!t) {
    const { profiles: p, graph: g } = snap;
    TABLES.set(snap, (t = profileRowTable({ codes: p.codes, seniority: p.seniority, flags: p.flags, degree: (u) => g.degree(u) }, snap.ids.size)));
  }
  return t;
}

/** Per snapshot, a mark per id and the last mark handed out (a duplicate check without allocation). */
const STAMPS = new WeakMap<Snapshot, { seen: Int32Array; epoch: number }>();

function hasBehaviour(snap: Snapshot, lo: number, hi: number): boolean {
  const f = snap.candidates.features;
  return BEHAVIOUR_FEATURES.some((name) => anyNonZero(f[name], lo, hi));
}

/** The progress record of an interrupted publish; null when there is none or it is unusable (then logged: the publish starts over). */
function parseProgress(buf: Buffer | null, key: string, log: LogFn): Progress | null {
  if (!buf) return null;
  let p: Progress | null = null;
  try {
    p = JSON.parse(buf.toString()) as Progress;
  } catch {
    // reported below with the value's key: p stays null
  }
  if (p && Number.isInteger(p.gen) && Number.isInteger(p.next) && typeof p.previous === 'string') return p;
  log(`publish: progress record ${key} is not one this publisher wrote (${JSON.stringify(buf.toString().slice(0, 60))}); starting over`);
  return null;
}

function report(t0: number, r: Omit<PublishReport, 'seconds' | 'keysPerSecond' | 'mbPerSecond'>): PublishReport {
  const seconds = (performance.now() - t0) / 1000;
  const per = (x: number): number => (seconds > 0 ? x / seconds : 0);
  return {
    ...r,
    seconds: Math.round(seconds * 1000) / 1000,
    keysPerSecond: Math.round(per(r.keysWritten)),
    mbPerSecond: Math.round(per(r.bytesWritten / 1e6) * 10) / 10,
  };
}
