/**
 * A PostgreSQL database as a dataset Source. The tables (default schema, or a mapping) are checked first —
 * every mapped column must exist — then each role is streamed with `COPY … TO STDOUT` straight into the same
 * readers the files go through (loadPlan), so rows are parsed as they arrive and only the columnar tables are
 * held. Bad rows (nulls, wrong types, dangling or invalid ids, self-loops, duplicate edges) are counted and
 * listed exactly as for files; the "line" of a row is its position in read order (1 = the first row).
 */
import { createHash } from 'node:crypto';
import type { InputRecord } from '../../../bundle/manifest.js';
import { stableJson } from '../../../bundle/manifest.js';
import { PymkError } from '../../../core/errors.js';
import { loadPlan, type DatasetPlan, type LoadOptions, type StreamInput } from '../../load.js';
import type { World } from '../../world.js';
import type { Source } from '../types.js';
import { PgConnection, parsePgUrl, type PgUrl } from './client.js';
import { checkTable, checksumSql, copySql, type CheckedTable, type TableColumns } from './columns.js';
import { PostgresMappingSchema, qualified, resolveMapping, type PostgresMapping, type ResolvedMapping, type Role, type TablePlan } from './mapping.js';

/** The optional table of dataset settings in the default schema: rows (key, value). */
export const DATASET_TABLE = 'dataset';

interface CheckedSource {
  tables: Partial<Record<Role, CheckedTable>>;
  name: string;
  directed: boolean;
  unknownUsers: 'keep' | 'reject';
  notes: string[];
}

export class PostgresSource implements Source {
  readonly kind = 'postgres';
  readonly label: string;
  private readonly url: PgUrl;
  private readonly mapping: ResolvedMapping;

  constructor(url: string, mapping: PostgresMapping = {}) {
    this.url = parsePgUrl(url);
    this.label = this.url.label;
    const m = PostgresMappingSchema.safeParse(mapping);
    if (!m.success) {
      throw new PymkError('PYMK_CONFIG', `source.postgres: ${m.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    this.mapping = resolveMapping(m.data, this.url.schema);
  }

  async size(): Promise<number> {
    return 0;
  }

  async fingerprint(): Promise<InputRecord> {
    return this.withConnection(async (db) => {
      const s = await this.check(db);
      const sums: Record<string, { rows: string; hash: string }> = {};
      let bytes = 0;
      for (const [role, t] of Object.entries(s.tables)) {
        const [r] = await db.query<{ n: string; h: string }>(checksumSql(t));
        sums[role] = { rows: r.n, hash: r.h };
        const [b] = await db.query<{ b: string }>('SELECT pg_total_relation_size($1::regclass)::text AS b', [qualified(t.plan)]);
        bytes += Number(b.b);
      }
      const what = { mapping: this.mapping, name: s.name, directed: s.directed, unknownUsers: s.unknownUsers, tables: sums };
      const sha256 = createHash('sha256').update(stableJson(what)).digest('hex');
      return { path: this.label, kind: 'database', bytes, files: Object.keys(s.tables).length, sha256 };
    });
  }

  async load(opts: LoadOptions = {}): Promise<World> {
    return this.withConnection(async (db) => {
      const s = await this.check(db);
      const stream = (t: CheckedTable, firstLine: number, since = 0): StreamInput => ({ name: t.name, firstLine, chunks: () => db.copyOut(copySql(t, since)) });
      const plan: DatasetPlan = {
        name: s.name,
        directed: s.directed,
        // The CSV header is line 0, so the first row is line 1 as in the JSON tables.
        connections: { path: stream(s.tables.connections!, -1), delimiter: ',' },
        ids: {},
        unknownUsers: opts.unknownUsers ?? s.unknownUsers,
      };
      if (s.tables.users) plan.profiles = { path: stream(s.tables.users, 0), format: 'jsonl' };
      // Events up to the watermark are not even sent when the ts column can be compared in SQL.
      if (s.tables.events) plan.events = { path: stream(s.tables.events, 0, opts.eventsSince) };
      const world = await loadPlan(plan, opts);
      if (s.notes.length > 0) world.report.warnings = [...(world.report.warnings ?? []), ...s.notes];
      return world;
    });
  }

  private async withConnection<T>(fn: (db: PgConnection) => Promise<T>): Promise<T> {
    const db = await PgConnection.open(this.url);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  /** Finds every role's table and checks its columns; the dataset table's name/directed apply unless mapped. */
  private async check(db: PgConnection): Promise<CheckedSource> {
    const tables: Partial<Record<Role, CheckedTable>> = {};
    const notes: string[] = [];
    for (const plan of Object.values(this.mapping.tables)) {
      const found = await columnsOf(db, plan);
      if (found.size === 0) {
        if (plan.explicit || plan.role === 'connections') {
          throw new PymkError('PYMK_BAD_INPUT', `postgres:${plan.schema}.${plan.table}: ${plan.role} table not found in ${this.label}`, {
            path: `postgres:${plan.schema}.${plan.table}`,
          });
        }
        continue;
      }
      const t = checkTable(plan, found);
      if (t.order === null) notes.push(`${t.name}: read in physical order (no '${plan.order ?? 'seq'}' column): user ids are numbered in that order`);
      tables[plan.role] = t;
    }
    const settings = await datasetSettings(db, this.mapping.schema);
    return {
      tables,
      name: settings.name ?? `${this.mapping.schema}`,
      directed: this.mapping.directed ?? settings.directed === 'true',
      unknownUsers: this.mapping.unknownUsers ?? (settings.unknownUsers === 'reject' ? 'reject' : 'keep'),
      notes,
    };
  }
}

async function columnsOf(db: PgConnection, t: TablePlan): Promise<TableColumns> {
  const rows = await db.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [t.schema, t.table],
  );
  return new Map(rows.map((r) => [r.column_name, r.data_type]));
}

async function datasetSettings(db: PgConnection, schema: string): Promise<Record<string, string>> {
  const [exists] = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [qualified({ schema, table: DATASET_TABLE })]);
  if (!exists.ok) return {};
  const rows = await db.query<{ key: string; value: string }>(`SELECT key::text, value::text FROM ${qualified({ schema, table: DATASET_TABLE })}`);
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
