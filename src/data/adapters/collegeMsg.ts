/**
 * SNAP CollegeMsg → standard dataset. `CollegeMsg.txt` holds directed messages `SRC DST UNIXTS`; a pair of
 * users who ever messaged is one undirected connection, dated by their first message and oriented from
 * the sender of that message (ties: the row that comes first). Self-messages are dropped and counted.
 */
import { join } from 'node:path';
import { Dictionary } from '../../core/dictionary.js';
import { readEdgeList } from '../readers/edgeList.js';
import { IdInterner } from '../readers/ids.js';
import type { AdapterResult } from './types.js';
import { writeDataset, type ConnectionRow } from './writeDataset.js';

export async function importCollegeMsg(src: string, out: string): Promise<AdapterResult> {
  const path = join(src, 'CollegeMsg.txt');
  const ids = new Dictionary();
  // Directed: one row per (sender, receiver) with the earliest message time of that direction.
  const r = await readEdgeList(path, new IdInterner(ids), { directed: true });
  const e = r.edges;
  const first = new Map<number, number>(); // unordered pair key → row of its earliest message
  const n = ids.size;
  for (let i = 0; i < e.count; i++) {
    const a = Math.min(e.src[i], e.dst[i]);
    const key = a * n + Math.max(e.src[i], e.dst[i]);
    const j = first.get(key);
    if (j === undefined || e.ts[i] < e.ts[j]) first.set(key, i);
  }
  const rows = [...first.values()].sort((x, y) => e.ts[x] - e.ts[y] || x - y);
  const idv = ids.toArray();
  const connections: ConnectionRow[] = rows.map((i) => ({ src: idv[e.src[i]], dst: idv[e.dst[i]], ts: e.ts[i] }));
  await writeDataset({
    dir: out,
    name: 'college-msg',
    description: 'SNAP CollegeMsg (Panzarasa et al. 2009): first message of each pair as a dated connection',
    source: 'https://snap.stanford.edu/data/CollegeMsg.html',
    withTime: true,
    connections,
  });
  const t0 = connections.length > 0 ? connections[0].ts! : 0;
  const t1 = connections.length > 0 ? connections[connections.length - 1].ts! : 0;
  const day = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
  const counts = {
    nodes: n,
    messages: r.report.rowsRead,
    directedPairs: e.count,
    connections: connections.length,
    selfLoops: r.report.skipped.self_loop ?? 0,
  };
  return {
    counts,
    lines: [
      `college-msg: ${counts.messages} messages between ${counts.nodes} users from ${path}`,
      `  ${counts.directedPairs} directed pairs → ${counts.connections} connections dated by first message` +
        ` (${day(t0)} .. ${day(t1)}); ${counts.selfLoops} self-messages dropped`,
    ],
  };
}
