/**
 * Splitting the per-user stages (candidates, pair features, static lists) across processes or machines.
 * Users are cut into blocks of `block` consecutive ids (default PARTITION_BLOCK); a partition `i/N` owns a set of blocks:
 * - `range`: the i-th of N contiguous runs of blocks (user-id ranges);
 * - `hash`: the blocks whose hashed block number is i modulo N (spreads the dense, early ids of a growing
 *   network — the generator's and most real ones — evenly over the partitions).
 * Blocks are a multiple of the lists stage's scoring batch (256 users; the default equals the 2-hop range
 * size), so every user is computed in exactly the batch it would be in a single-process run: the merged bundle
 * is byte-identical to the single-process one.
 */
import { PymkError } from '../core/errors.js';

/** Users per block by default; any block must be a multiple of the lists stage's batch of 256 users. */
export const PARTITION_BLOCK = 2048;
export const BLOCK_MULTIPLE = 256;
export const PARTITION_KINDS = ['range', 'hash'] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

export interface Partition {
  index: number;
  count: number;
  by: PartitionKind;
  /** Users per block (default PARTITION_BLOCK; a multiple of BLOCK_MULTIPLE). */
  block: number;
}

/** Parses `i/N` (0 ≤ i < N); PYMK_BAD_PARAM otherwise. */
export function parsePartition(spec: string, by: string = 'range', block = PARTITION_BLOCK): Partition {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (m === null || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) {
    throw new PymkError('PYMK_BAD_PARAM', `--partition must be i/N with 0 <= i < N, got ${JSON.stringify(spec)}`);
  }
  if (!(PARTITION_KINDS as readonly string[]).includes(by)) {
    throw new PymkError('PYMK_BAD_PARAM', `--partition-by must be one of ${PARTITION_KINDS.join(', ')}, got ${JSON.stringify(by)}`);
  }
  if (!Number.isInteger(block) || block < BLOCK_MULTIPLE || block % BLOCK_MULTIPLE !== 0) {
    throw new PymkError('PYMK_BAD_PARAM', `a partition block must be a positive multiple of ${BLOCK_MULTIPLE} users, got ${block}`);
  }
  return { index: Number(m[1]), count: Number(m[2]), by: by as PartitionKind, block };
}

/** The partition (0 .. count-1) owning each block of a world of n users. */
export function blockOwners(n: number, p: Omit<Partition, 'index'>): Int32Array {
  const blocks = Math.ceil(n / p.block);
  const owner = new Int32Array(blocks);
  for (let b = 0; b < blocks; b++) owner[b] = p.by === 'range' ? Math.floor((b * p.count) / blocks) : mix32(b) % p.count;
  return owner;
}

/** The user ranges [lo, hi) a partition owns, adjacent blocks joined, in id order. */
export function ownedRanges(n: number, p: Partition): [number, number][] {
  const owner = blockOwners(n, p);
  const out: [number, number][] = [];
  for (let b = 0; b < owner.length; b++) {
    if (owner[b] !== p.index) continue;
    const lo = b * p.block;
    const hi = Math.min(n, lo + p.block);
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === lo) last[1] = hi;
    else out.push([lo, hi]);
  }
  return out;
}

/** The murmur3 finaliser: a well-mixed unsigned 32-bit hash of a block number. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const describePartition = (p: Partition): string => `${p.index}/${p.count} by ${p.by} (blocks of ${p.block})`;
