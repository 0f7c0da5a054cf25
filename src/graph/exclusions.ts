/** Exclusion sets from the activity log: blocks (either direction) and dismissals (directed). */
import { EVENT_CODE, EdgeBuilder, FLAG_BANNED, FLAG_DEACTIVATED, type EventTable } from '../core/tables.js';
import { buildGraph, type Adjacency } from './csr.js';

export interface Exclusions {
  blocked: Adjacency;
  dismissed: Adjacency;
}

export function exclusionsFromEvents(n: number, events: EventTable): Exclusions {
  const blocks = new EdgeBuilder();
  const dismissSrc: number[] = [];
  const dismissDst: number[] = [];
  const block = EVENT_CODE.block;
  const dismiss = EVENT_CODE.dismiss;
  for (let i = 0; i < events.count; i++) {
    const t = events.type[i];
    if (t === block) blocks.push(events.actor[i], events.target[i], events.ts[i]);
    else if (t === dismiss) {
      dismissSrc.push(events.actor[i]);
      dismissDst.push(events.target[i]);
    }
  }
  const g = buildGraph(n, blocks.finish());
  return { blocked: { offsets: g.offsets, targets: g.targets }, dismissed: directedAdjacency(n, dismissSrc, dismissDst) };
}

/** Sorted, de-duplicated directed rows from parallel src/dst lists. */
export function directedAdjacency(n: number, src: ArrayLike<number>, dst: ArrayLike<number>): Adjacency {
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < src.length; i++) offsets[src[i] + 1]++;
  for (let u = 0; u < n; u++) offsets[u + 1] += offsets[u];
  const targets = new Int32Array(src.length);
  const cur = offsets.slice(0, n);
  for (let i = 0; i < src.length; i++) targets[cur[src[i]]++] = dst[i];
  let w = 0;
  let start = 0;
  for (let u = 0; u < n; u++) {
    const end = offsets[u + 1];
    const rowStart = w;
    const rowSorted = targets.subarray(start, end).sort();
    for (let p = 0; p < rowSorted.length; p++) {
      const v = rowSorted[p];
      if (w > rowStart && targets[w - 1] === v) continue;
      targets[w++] = v;
    }
    start = end;
    offsets[u + 1] = w;
  }
  return { offsets, targets: targets.slice(0, w) };
}

/** Users that are never shown (deactivated or banned) never take a candidate slot: 1 = excluded. */
export function exclusionMask(flags: Uint8Array): Uint8Array {
  const exclude = new Uint8Array(flags.length);
  for (let u = 0; u < flags.length; u++) exclude[u] = flags[u] & (FLAG_DEACTIVATED | FLAG_BANNED) ? 1 : 0;
  return exclude;
}
