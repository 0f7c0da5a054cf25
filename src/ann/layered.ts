/**
 * A bundle's index after an incremental run (pipeline/stages/annIncremental.ts): the main index of an
 * earlier bundle, with the users re-embedded since masked out of it, and a small recent index holding their
 * new vectors — searched as one, read-only. Both tiers re-rank from the same f32 embeddings file, so their
 * distances are exact and merge by value. Serving opens it through openBundleIndex like a single index; the
 * online tiers (tiered.ts) sit on top of it unchanged.
 */
import { checkK, checkRows } from './distance.js';
import { readOnlyError } from './files.js';
import { searchEach, searchTwoTiers } from './twoTiers.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';
import { PymkError } from '../core/errors.js';

export class LayeredIndex implements VectorIndex {
  readonly kind = 'layered';
  readonly readOnly = true;
  private readonly maskedInMain: number;

  /** `masked`: ids whose vector in `main` is not theirs any more (re-embedded into `recent`, or removed). */
  constructor(readonly main: VectorIndex, readonly recent: VectorIndex, readonly masked: ReadonlySet<number>) {
    if (main.dim !== recent.dim || main.metric !== recent.metric) {
      throw new PymkError('PYMK_BAD_PARAM', `layered index: main is ${main.dim}-d ${main.metric}, recent ${recent.dim}-d ${recent.metric}`);
    }
    let c = 0;
    for (const id of masked) if (main.has(id)) c++;
    this.maskedInMain = c;
  }

  get dim(): number {
    return this.main.dim;
  }
  get metric(): Metric {
    return this.main.metric;
  }

  size(): number {
    return this.main.size() - this.maskedInMain + this.recent.size();
  }

  has(id: number): boolean {
    return this.recent.has(id) || (!this.masked.has(id) && this.main.has(id));
  }

  upsert(): void {
    throw readOnlyError(this.kind, 'upsert');
  }
  addBatch(): void {
    throw readOnlyError(this.kind, 'add');
  }
  remove(): boolean {
    throw readOnlyError(this.kind, 'remove');
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    return searchTwoTiers(this.main, this.masked, this.recent, query, opts);
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    return searchEach(this.dim, queries, opts, (q, o) => this.search(q, o));
  }

  vector(id: number): Float32Array | null {
    if (this.recent.has(id)) return this.recent.vector(id);
    return this.masked.has(id) ? null : this.main.vector(id);
  }

  setEf(ef: number): void {
    this.main.setEf(ef);
    this.recent.setEf(ef);
  }

  save(): void {
    throw new PymkError('PYMK_BAD_PARAM', 'a layered index is saved by the pipeline stage that made it (its tiers are bundle artifacts)');
  }

  close(): void {
    this.main.close();
    this.recent.close();
  }
}
