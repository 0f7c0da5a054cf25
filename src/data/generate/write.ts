/**
 * Writes a synthetic world as a dataset folder in the formats of docs/formats.md: dataset.json,
 * connections.csv, users.jsonl, events.jsonl, plus world.json (parameters and counts). Lines are encoded
 * straight into byte buffers (see ByteSink): at a million users these files hold tens of millions of lines.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteSink, utf8 } from './byteSink.js';
import { FLAG_BANNED, FLAG_DEACTIVATED, EVENT_TYPES, type EdgeTable, type EventTable, type ProfileTable } from '../../core/tables.js';

export const FILES = Object.freeze({
  dataset: 'dataset.json',
  connections: 'connections.csv',
  profiles: 'users.jsonl',
  events: 'events.jsonl',
  world: 'world.json',
});

/** User ids as written: "u" + dense index. */
export function userId(u: number): string {
  return `u${u}`;
}

/** The path of every file of a dataset folder, by role. */
export function datasetPaths(dir: string): Record<keyof typeof FILES, string> {
  return Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, join(dir, f)])) as Record<keyof typeof FILES, string>;
}

/** Writes dataset.json (naming the other files) and world.json (the generator's summary). */
export async function writeManifests(paths: Record<keyof typeof FILES, string>, name: string, summary: unknown): Promise<void> {
  const dataset = {
    name,
    connections: { path: FILES.connections, directed: false },
    profiles: { path: FILES.profiles },
    events: { path: FILES.events },
  };
  await writeFile(paths.dataset, JSON.stringify(dataset, null, 2) + '\n');
  await writeFile(paths.world, JSON.stringify(summary, null, 2) + '\n');
}

/** Profile columns as plain data (names as string arrays), so they can be handed to a worker thread. */
export interface ProfileColumns {
  n: number;
  /** company, school, location, industry: the names and each user's code into them (-1 = null). */
  names: string[][];
  codes: Int32Array[];
  seniority: Int8Array;
  joinedAt: Uint32Array;
  flags: Uint8Array;
}

export function profileColumns(t: ProfileTable): ProfileColumns {
  const fields = [t.dicts.company, t.dicts.school, t.dicts.location, t.dicts.industry];
  return {
    n: t.n,
    names: fields.map((d) => [...d.toArray()]),
    codes: [t.codes.company, t.codes.school, t.codes.location, t.codes.industry],
    seniority: t.seniority,
    joinedAt: t.joinedAt,
    flags: t.flags,
  };
}

const U = 'u'.charCodeAt(0);
const COMMA = ','.charCodeAt(0);
const NEWLINE = '\n'.charCodeAt(0);
const NULL = utf8('null');
const TRUE = utf8('true');
const FALSE = utf8('false');

/** users.jsonl: one JSON object per user, fields in the order of docs/formats.md. */
export async function writeProfiles(path: string, t: ProfileColumns): Promise<void> {
  const names = t.names.map((values) => values.map((v) => utf8(JSON.stringify(v))));
  const columns = t.codes;
  const keys = ['","company":', ',"school":', ',"location":', ',"industry":'].map(utf8);
  const open = utf8('{"id":"u');
  const seniorityKey = utf8(',"seniority":');
  const joinedKey = utf8(',"joined_at":');
  const deactivatedKey = utf8(',"deactivated":');
  const bannedKey = utf8(',"banned":');
  const close = utf8('}\n');
  const sink = new ByteSink(path);
  for (let u = 0; u < t.n; u++) {
    sink.bytes(open);
    sink.uint(u);
    for (let f = 0; f < 4; f++) {
      sink.bytes(keys[f]);
      const c = columns[f][u];
      sink.bytes(c < 0 ? NULL : names[f][c]);
    }
    sink.bytes(seniorityKey);
    if (t.seniority[u] < 0) sink.bytes(NULL);
    else sink.uint(t.seniority[u]);
    sink.bytes(joinedKey);
    if (t.joinedAt[u] === 0) sink.bytes(NULL);
    else sink.uint(t.joinedAt[u]);
    sink.bytes(deactivatedKey);
    sink.bytes(t.flags[u] & FLAG_DEACTIVATED ? TRUE : FALSE);
    sink.bytes(bannedKey);
    sink.bytes(t.flags[u] & FLAG_BANNED ? TRUE : FALSE);
    sink.bytes(close);
    if (sink.full) await sink.flush();
  }
  await sink.close();
}

/** connections.csv: header `src,dst,ts`, then one connection per line in the table's order. */
export async function writeConnections(path: string, e: EdgeTable): Promise<void> {
  const sink = new ByteSink(path);
  sink.bytes(utf8('src,dst,ts\n'));
  for (let i = 0; i < e.count; i++) {
    sink.char(U);
    sink.uint(e.src[i]);
    sink.char(COMMA);
    sink.char(U);
    sink.uint(e.dst[i]);
    sink.char(COMMA);
    sink.uint(e.ts[i]);
    sink.char(NEWLINE);
    if (sink.full) await sink.flush();
  }
  await sink.close();
}

/** events.jsonl: one JSON object per event, in the table's order. */
export async function writeEvents(path: string, ev: EventTable): Promise<void> {
  const open = utf8('{"ts":');
  const middle = EVENT_TYPES.map((t) => utf8(`,"type":"${t}","actor":"u`));
  const targetKey = utf8('","target":"u');
  const close = utf8('"}\n');
  const sink = new ByteSink(path);
  for (let i = 0; i < ev.count; i++) {
    sink.bytes(open);
    sink.uint(ev.ts[i]);
    sink.bytes(middle[ev.type[i]]);
    sink.uint(ev.actor[i]);
    sink.bytes(targetKey);
    sink.uint(ev.target[i]);
    sink.bytes(close);
    if (sink.full) await sink.flush();
  }
  await sink.close();
}
