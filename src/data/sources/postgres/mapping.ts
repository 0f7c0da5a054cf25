/**
 * Which tables and columns a PostgreSQL source reads: the default schema (docs/sources.md), or a mapping
 * from the user's own table and column names (the pipeline config file's `source.postgres`). Validated once
 * with zod; unknown keys are rejected. `resolveMapping` fills in the defaults.
 */
import { z } from 'zod';

/** The columns each role reads, by their pymk names (as in the file formats). */
export const ROLE_COLUMNS = {
  users: ['id', 'company', 'school', 'location', 'industry', 'seniority', 'joined_at', 'deactivated', 'banned'],
  connections: ['src', 'dst', 'ts'],
  events: ['ts', 'type', 'actor', 'target'],
} as const;
export type Role = keyof typeof ROLE_COLUMNS;
export const ROLES = Object.keys(ROLE_COLUMNS) as Role[];

/** Columns a role cannot do without (the others may be mapped to null: absent). */
export const REQUIRED_COLUMNS: Record<Role, readonly string[]> = { users: ['id'], connections: ['src', 'dst'], events: ['ts', 'type', 'actor', 'target'] };

/** The default schema's name and the column that gives the read order. */
export const DEFAULT_SCHEMA = 'pymk';
export const DEFAULT_ORDER = 'seq';

const name = z.string().min(1).max(63);

function tableShape(role: Role) {
  const cols = Object.fromEntries(ROLE_COLUMNS[role].map((c) => [c, name.nullable().optional()]));
  return {
    /** The table's name (default: the role's name), in the mapping's schema. */
    table: name.optional(),
    /** The column that orders the rows (ids are numbered in order of first sight); null: physical order. */
    order: name.nullable().optional(),
    /** pymk column → the table's column; null = the table has no such column (read as null). */
    columns: z.strictObject(cols).optional(),
  };
}

export const PostgresMappingSchema = z.strictObject({
  /** The schema holding the tables (default `pymk`, or the URL's `?schema=`). */
  schema: name.optional(),
  /** false: no profile table. */
  users: z.union([z.literal(false), z.strictObject(tableShape('users'))]).optional(),
  connections: z.strictObject({ ...tableShape('connections'), directed: z.boolean().optional() }).optional(),
  /** false: no events table. */
  events: z.union([z.literal(false), z.strictObject(tableShape('events'))]).optional(),
  unknownUsers: z.enum(['keep', 'reject']).optional(),
});
export type PostgresMapping = z.infer<typeof PostgresMappingSchema>;

/** One role's table with every column resolved: pymk name → the table's column, or null when absent. */
export interface TablePlan {
  role: Role;
  schema: string;
  table: string;
  /** Whether the mapping named the table (a default-named optional table may be missing). */
  explicit: boolean;
  /** The ordering column; undefined: the default (`seq` when the table has it). */
  order: string | null | undefined;
  columns: Record<string, string | null>;
}

export interface ResolvedMapping {
  schema: string;
  tables: Partial<Record<Role, TablePlan>>;
  directed?: boolean;
  unknownUsers?: 'keep' | 'reject';
}

/** The mapping with its defaults: every role's table (unless turned off) and every column. */
export function resolveMapping(m: PostgresMapping, urlSchema: string | undefined): ResolvedMapping {
  const schema = m.schema ?? urlSchema ?? DEFAULT_SCHEMA;
  const tables: Partial<Record<Role, TablePlan>> = {};
  for (const role of ROLES) {
    const t = m[role];
    if (t === false) continue;
    const columns: Record<string, string | null> = {};
    for (const c of ROLE_COLUMNS[role]) {
      const given = (t?.columns as Record<string, string | null | undefined> | undefined)?.[c];
      columns[c] = given === undefined ? c : given;
    }
    tables[role] = { role, schema, table: t?.table ?? role, explicit: t?.table !== undefined, order: t?.order, columns };
  }
  return { schema, tables, directed: m.connections?.directed, unknownUsers: m.unknownUsers };
}

/** `"schema"."table"`, quoted for SQL. */
export function qualified(t: { schema: string; table: string }): string {
  return `${ident(t.schema)}.${ident(t.table)}`;
}

/** A quoted SQL identifier. */
export function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
