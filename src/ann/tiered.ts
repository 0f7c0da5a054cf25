/**
 * Two tiers searched as one: a read-only main index (memory-mapped, from the nightly build) and a small
 * mutable recent tier for users added or changed since. Every change goes to a write-ahead log first
 * (wal.ts), so a restart replays it; ids removed or re-inserted since the build are masked out of the main
 * tier's results. A query searches both tiers (main with the mask added to its exclusions) and merges.
 *
 * Compaction: when the recent tier or the mask grows past its limit, compactionDue() turns true and
 * compact() rebuilds the main index from its live vectors plus the recent tier, saves it as a new
 * generation in the tier folder, records it in state.json, swaps it in and starts an empty log.
 *
 *   <dir>/recent.wal        changes since the last compaction
 *   <dir>/state.json        { base, gen, main, idLimit } once a compaction happened
 *   <dir>/main-<gen>.idx…   compacted main indexes (the newest is used while `base` matches)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import { checkId, checkRows } from './distance.js';
import { writeFileAtomic } from './files.js';
import { createIndex, openIndex } from './registry.js';
import { searchEach, searchTwoTiers } from './twoTiers.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';
import { OP_REMOVE, OP_UPSERT, Wal, type WalRecord } from './wal.js';

export interface TieredOptions {
  /** The tier folder (log, state, compacted generations). */
  dir: string;
  /** Identifies the main index given to open() (e.g. the bundle version); a compacted main is used only for the same base. */
  base: string;
  /** Ids the given main index may hold are 0..idLimit-1 (compaction reads their vectors). */
  idLimit: number;
  /** Compaction is due once the recent tier holds this many vectors… */
  maxRecent: number;
  /** …or once this fraction of the main tier is masked (removed or replaced). */
  maxMaskedFraction: number;
  /** fsync every log append: survives power loss, costs a disk flush per change. */
  fsync: boolean;
  /** Whether this instance appends to the log. Exactly one writer per folder; other readers replay it. */
  writeLog: boolean;
  /** Registry kind of the recent tier (kept small, so exact by default). */
  recentKind: string;
}

export const TIERED_DEFAULTS: Omit<TieredOptions, 'dir' | 'base' | 'idLimit'> = {
  maxRecent: 50_000,
  maxMaskedFraction: 0.05,
  fsync: false,
  writeLog: true,
  recentKind: 'exact',
};

/** How to build a compacted main: a registry kind and its options (e.g. 'rerank' over usearch i8). */
export interface MainSpec {
  kind: string;
  options: Record<string, unknown>;
}

interface State {
  base: string;
  gen: number;
  main: string;
  idLimit: number;
}

export interface TierStats {
  main: number;
  recent: number;
  masked: number;
  logBytes: number;
  compactionDue: boolean;
}

export class TieredIndex implements VectorIndex {
  readonly kind = 'tiered';
  readonly readOnly = false;
  private recent: VectorIndex;
  private readonly recentVectors = new Map<number, Float32Array>();
  private readonly masked = new Set<number>();
  private wal: Wal | null = null;

  private constructor(private main: VectorIndex, readonly options: TieredOptions, private state: State | null) {
    this.recent = createIndex(options.recentKind, main.dim, main.metric);
  }

  /**
   * Opens the tiers: the newest compacted main when state.json names one for the same base, else the
   * given main (`base` is called only then), then replays the log.
   */
  static open(base: () => VectorIndex, options: Partial<TieredOptions> & Pick<TieredOptions, 'dir' | 'base' | 'idLimit'>): TieredIndex {
    const o: TieredOptions = { ...TIERED_DEFAULTS, ...options };
    mkdirSync(o.dir, { recursive: true });
    const statePath = join(o.dir, 'state.json');
    let state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as State) : null;
    if (state && state.base !== o.base) state = null; // a newer build replaced the base: its compactions are stale
    const main = state ? openIndex(join(o.dir, state.main), 'view') : base();
    const t = new TieredIndex(main, o, state);
    t.replay();
    return t;
  }

  get dim(): number {
    return this.main.dim;
  }
  get metric(): Metric {
    return this.main.metric;
  }

  size(): number {
    return this.main.size() - this.masked.size + this.recent.size();
  }

  has(id: number): boolean {
    return this.recent.has(id) || (!this.masked.has(id) && this.main.has(id));
  }

  upsert(id: number, vector: Float32Array): void {
    checkId(id);
    checkRows(vector, this.dim);
    const v = vector.slice(0, this.dim);
    this.wal?.append({ op: OP_UPSERT, id, vector: v });
    this.applyUpsert(id, v);
  }

  addBatch(ids: ArrayLike<number>, vectors: Float32Array): void {
    if (checkRows(vectors, this.dim, 'vectors') !== ids.length) throw new PymkError('PYMK_BAD_INPUT', `${ids.length} ids for ${vectors.length / this.dim} vectors`);
    for (let i = 0; i < ids.length; i++) this.upsert(ids[i], vectors.subarray(i * this.dim, (i + 1) * this.dim));
  }

  remove(id: number): boolean {
    const present = this.has(id);
    if (!present) return false;
    this.wal?.append({ op: OP_REMOVE, id });
    this.applyRemove(id);
    return true;
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    return searchTwoTiers(this.main, this.masked, this.recent, query, opts);
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    return searchEach(this.dim, queries, opts, (q, o) => this.search(q, o));
  }

  vector(id: number): Float32Array | null {
    const v = this.recentVectors.get(id);
    if (v) return v.slice();
    return this.masked.has(id) ? null : this.main.vector(id);
  }

  setEf(ef: number): void {
    this.main.setEf(ef);
    this.recent.setEf(ef);
  }

  /** Forces the log to disk (the tiers live in the tier folder; `path` is not used). */
  save(): void {
    this.wal?.sync();
  }

  close(): void {
    this.wal?.close();
    this.wal = null;
    this.main.close();
    this.recent.close();
  }

  stats(): TierStats {
    const main = this.main.size();
    const recent = this.recent.size();
    const due = recent >= this.options.maxRecent || (this.masked.size > 0 && this.masked.size >= this.options.maxMaskedFraction * Math.max(main, 1));
    return { main, recent, masked: this.masked.size, logBytes: this.wal?.bytes ?? 0, compactionDue: due };
  }

  /** True when the recent tier or the mask passed its limit. */
  compactionDue(): boolean {
    return this.stats().compactionDue;
  }

  /**
   * Rebuilds the main tier from its live vectors and the recent tier, saves it as the next generation,
   * swaps it in and empties the log. Needs a main tier that can return vectors (e.g. 'rerank'). Blocks
   * for the build: run it in a worker (the pool does).
   */
  compact(spec: MainSpec): { gen: number; vectors: number } {
    if (!this.options.writeLog) throw new PymkError('PYMK_BAD_PARAM', 'only the log writer may compact the tiers');
    let idLimit = this.state?.idLimit ?? this.options.idLimit;
    for (const id of this.recentVectors.keys()) idLimit = Math.max(idLimit, id + 1);
    const ids: number[] = [];
    const rows: Float32Array[] = [];
    for (let id = 0; id < idLimit; id++) {
      if (!this.has(id)) continue;
      const v = this.vector(id);
      if (!v) throw new PymkError('PYMK_BAD_PARAM', `cannot compact: the ${this.main.kind} main tier keeps no vector for id ${id} (use a main that does, e.g. 'rerank')`);
      ids.push(id);
      rows.push(v);
    }
    const vectors = new Float32Array(ids.length * this.dim);
    rows.forEach((r, i) => vectors.set(r, i * this.dim));
    const gen = (this.state?.gen ?? 0) + 1;
    const file = `main-${gen}.idx`;
    const built = createIndex(spec.kind, this.dim, this.metric, spec.options);
    if (ids.length) built.addBatch(Int32Array.from(ids), vectors);
    built.save(join(this.options.dir, file));
    built.close();
    const next = openIndex(join(this.options.dir, file), 'view');
    const state: State = { base: this.options.base, gen, main: file, idLimit };
    writeFileAtomic(join(this.options.dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
    // From here the new main holds everything; a crash before the log is emptied only replays it again.
    this.rotateLog();
    this.main.close();
    this.main = next;
    this.state = state;
    this.recent.close();
    this.recent = createIndex(this.options.recentKind, this.dim, this.metric);
    this.recentVectors.clear();
    this.masked.clear();
    this.dropOldGenerations(gen);
    return { gen, vectors: ids.length };
  }

  private applyUpsert(id: number, v: Float32Array): void {
    if (!this.masked.has(id) && this.main.has(id)) this.masked.add(id);
    this.recent.upsert(id, v);
    this.recentVectors.set(id, v);
  }

  private applyRemove(id: number): void {
    if (!this.masked.has(id) && this.main.has(id)) this.masked.add(id);
    this.recent.remove(id);
    this.recentVectors.delete(id);
  }

  private replay(): void {
    const path = join(this.options.dir, 'recent.wal');
    let records: WalRecord[];
    if (this.options.writeLog) {
      const opened = Wal.open(path, this.dim, this.options.fsync);
      this.wal = opened.wal;
      records = opened.records;
    } else {
      records = existsSync(path) ? Wal.read(path, this.dim) : [];
    }
    for (const r of records) {
      if (r.op === OP_UPSERT) this.applyUpsert(r.id, r.vector);
      else this.applyRemove(r.id);
    }
  }

  private rotateLog(): void {
    const path = join(this.options.dir, 'recent.wal');
    const tmp = join(this.options.dir, 'recent.wal.new');
    rmSync(tmp, { force: true });
    const fresh = Wal.open(tmp, this.dim, this.options.fsync);
    fresh.wal.close();
    this.wal?.close();
    renameSync(tmp, path);
    this.wal = Wal.open(path, this.dim, this.options.fsync).wal;
  }

  private dropOldGenerations(keep: number): void {
    for (const f of readdirSync(this.options.dir)) {
      const m = /^main-(\d+)\.idx/.exec(f);
      if (m && Number(m[1]) < keep) rmSync(join(this.options.dir, f), { force: true });
    }
  }
}

