/**
 * `pymk load-postgres`: writes a dataset, as the importer read it, into the default schema (docs/sources.md)
 * with `COPY … FROM STDIN`. Every user gets a `users` row in dense-id order (users without a profile get one
 * with nulls), connections are the deduplicated ones in first-appearance order, events in file order; `seq`
 * numbers the rows 1, 2, … So reading the schema back (PostgresSource) numbers the users exactly as the
 * folder's import did: the same ids, graph and recommendations. The tables carry no constraints beyond
 * their types, so tests and users can put bad rows in to see how the reader reports them.
 */
import { EVENT_TYPES, getProfile, PROFILE_FIELDS } from '../../../core/tables.js';
import { PymkError } from '../../../core/errors.js';
import type { World } from '../../world.js';
import { PgConnection, parsePgUrl } from './client.js';
import { DEFAULT_SCHEMA, ident, qualified } from './mapping.js';
import { DATASET_TABLE } from './source.js';

export interface LoadIntoOptions {
  /** Target schema (default: the URL's `?schema=`, else `pymk`). */
  schema?: string;
  /** Drop the tables first when they exist (default: refuse to touch existing tables). */
  replace?: boolean;
}

export interface LoadIntoResult {
  schema: string;
  rows: { users: number; connections: number; events: number };
}

/** The default schema's tables, as created by load-postgres. */
export const DEFAULT_TABLES_SQL = (s: string): string[] => [
  `CREATE TABLE ${s}.users (seq bigint, id text, company text, school text, location text, industry text, seniority smallint, joined_at timestamptz, deactivated boolean, banned boolean)`,
  `CREATE TABLE ${s}.connections (seq bigint, src text, dst text, ts timestamptz)`,
  `CREATE TABLE ${s}.events (seq bigint, ts timestamptz, type text, actor text, target text)`,
  `CREATE TABLE ${s}.${DATASET_TABLE} (key text PRIMARY KEY, value text)`,
];

const TABLES = ['users', 'connections', 'events', DATASET_TABLE];
/** Rows per chunk handed to COPY. */
const BATCH = 20_000;

export async function loadIntoPostgres(url: string, world: World, opts: LoadIntoOptions = {}): Promise<LoadIntoResult> {
  const u = parsePgUrl(url);
  const schema = opts.schema ?? u.schema ?? DEFAULT_SCHEMA;
  const s = ident(schema);
  const db = await PgConnection.open(u);
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    const existing = await db.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)', [schema, TABLES]);
    if (existing.length > 0 && !opts.replace) {
      throw new PymkError('PYMK_BAD_PARAM', `${u.label}: schema ${schema} already has ${existing.map((r) => r.t).join(', ')}; pass --replace to drop and reload them`);
    }
    await db.query('BEGIN');
    for (const t of TABLES) await db.query(`DROP TABLE IF EXISTS ${qualified({ schema, table: t })}`);
    for (const sql of DEFAULT_TABLES_SQL(s)) await db.query(sql);
    const settings = { name: world.report.name ?? schema, directed: String(world.report.directed ?? false) };
    for (const [k, v] of Object.entries(settings)) await db.query(`INSERT INTO ${s}.${DATASET_TABLE} (key, value) VALUES ($1, $2)`, [k, v]);
    const users = await db.copyIn(`COPY ${s}.users (seq, id, ${PROFILE_FIELDS.join(', ')}, seniority, joined_at, deactivated, banned) FROM STDIN (FORMAT csv)`, userRows(world));
    const connections = await db.copyIn(`COPY ${s}.connections (seq, src, dst, ts) FROM STDIN (FORMAT csv)`, connectionRows(world));
    const events = await db.copyIn(`COPY ${s}.events (seq, ts, type, actor, target) FROM STDIN (FORMAT csv)`, eventRows(world));
    for (const t of ['users', 'connections', 'events']) await db.query(`ALTER TABLE ${s}.${t} ADD PRIMARY KEY (seq)`);
    await db.query('COMMIT');
    return { schema, rows: { users, connections, events } };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await db.close();
  }
}

/** A CSV field: empty (NULL) for null, quoted when it holds a delimiter, quote, line break or is empty. */
function field(v: string | number | boolean | null): string {
  if (v === null) return '';
  const t = String(v);
  return t === '' || /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

const time = (ts: number): string | null => (ts === 0 ? null : new Date(ts * 1000).toISOString());

function* batches(n: number, row: (i: number) => string): Generator<string> {
  for (let i = 0; i < n; i += BATCH) {
    let out = '';
    for (let j = i; j < Math.min(n, i + BATCH); j++) out += row(j);
    yield out;
  }
}

function userRows(w: World): Generator<string> {
  return batches(w.ids.size, (u) => {
    const p = getProfile(w.profiles, u, w.ids.value(u));
    const cols = [u + 1, p.id, ...PROFILE_FIELDS.map((f) => p[f]), p.seniority, p.joinedAt === null ? null : time(p.joinedAt), p.deactivated, p.banned];
    return `${cols.map(field).join(',')}\n`;
  });
}

function connectionRows(w: World): Generator<string> {
  const c = w.connections;
  return batches(c.count, (i) => `${[i + 1, w.ids.value(c.src[i]), w.ids.value(c.dst[i]), time(c.ts[i])].map(field).join(',')}\n`);
}

function eventRows(w: World): Generator<string> {
  const e = w.events;
  return batches(e.count, (i) => `${[i + 1, time(e.ts[i]), EVENT_TYPES[e.type[i]], w.ids.value(e.actor[i]), w.ids.value(e.target[i])].map(field).join(',')}\n`);
}
