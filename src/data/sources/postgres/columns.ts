/**
 * The SQL that reads one role's table: each column's expression chosen by its PostgreSQL type, so values
 * reach the readers as the file formats would carry them and the readers' checks apply unchanged. Nothing
 * is cast in a way that can fail inside the database (a text column holding "abc" where a time belongs is
 * sent as the string and rejected by the reader as `bad_ts`, naming the row), so one bad row never aborts
 * the query halfway.
 *
 * - users and events: one JSON object per row (`row_to_json`), read by the JSONL readers;
 * - connections: CSV rows `src,dst,ts` with a header, read by the edge-list reader.
 * Times in timestamp/date columns are sent as epoch seconds; integers as numbers; text as strings.
 */
import { PymkError } from '../../../core/errors.js';
import { DEFAULT_ORDER, REQUIRED_COLUMNS, ident, qualified, type TablePlan } from './mapping.js';

/** How a column's type is carried. */
export type TypeClass = 'int' | 'num' | 'time' | 'bool' | 'text';

export function typeClass(dataType: string): TypeClass {
  if (/^(smallint|integer|bigint)$/.test(dataType)) return 'int';
  if (/^(numeric|real|double precision)$/.test(dataType)) return 'num';
  if (/^(timestamp|date)/.test(dataType)) return 'time';
  if (dataType === 'boolean') return 'bool';
  return 'text';
}

/** A table's columns as found in the database: name → information_schema data_type. */
export type TableColumns = Map<string, string>;

/** A role's table checked against the database: its columns exist, the order column is settled. */
export interface CheckedTable {
  plan: TablePlan;
  /** pymk column → [the table's column, its type class]; absent columns are left out. */
  columns: Map<string, [string, TypeClass]>;
  order: string | null;
  /** The name reports and rejects use: `postgres:schema.table`. */
  name: string;
}

/** Checks a plan against the table's columns; PYMK_BAD_INPUT names the table and column. */
export function checkTable(plan: TablePlan, found: TableColumns): CheckedTable {
  const name = `postgres:${plan.schema}.${plan.table}`;
  const have = [...found.keys()].join(', ');
  const columns = new Map<string, [string, TypeClass]>();
  for (const [col, mapped] of Object.entries(plan.columns)) {
    if (mapped === null) {
      if (REQUIRED_COLUMNS[plan.role].includes(col)) {
        throw new PymkError('PYMK_BAD_INPUT', `${name}: the ${plan.role} column '${col}' is required and cannot be mapped to null`, { path: name });
      }
      continue;
    }
    const t = found.get(mapped);
    if (t === undefined) {
      throw new PymkError(
        'PYMK_BAD_INPUT',
        `${name}: no column '${mapped}' for the ${plan.role} field '${col}' (the table has: ${have}); map it in the config's source.postgres.${plan.role}.columns, or to null when absent`,
        { path: name, column: mapped },
      );
    }
    columns.set(col, [mapped, typeClass(t)]);
  }
  let order: string | null;
  if (plan.order === undefined) order = found.has(DEFAULT_ORDER) ? DEFAULT_ORDER : null;
  else if (plan.order !== null && !found.has(plan.order)) {
    throw new PymkError('PYMK_BAD_INPUT', `${name}: no order column '${plan.order}' (the table has: ${have})`, { path: name, column: plan.order });
  } else order = plan.order;
  return { plan, columns, order, name };
}

/** A column as a JSON value: numbers stay numbers, times become epoch seconds, the rest text. */
function jsonExpr(col: string, t: TypeClass): string {
  const c = ident(col);
  if (t === 'time') return `extract(epoch from ${c})::bigint`;
  if (t === 'int' || t === 'num' || t === 'bool') return c;
  return `${c}::text`;
}

/** A column as a CSV field; line breaks become U+FFFD, which the id grammar refuses, so a row stays one line. */
function csvExpr(col: string, t: TypeClass): string {
  const c = ident(col);
  if (t === 'time') return `extract(epoch from ${c})::bigint`;
  return `translate(${c}::text, E'\\r\\n', E'\\uFFFD\\uFFFD')`;
}

/**
 * SELECT of the role's columns under their pymk names, in read order. `since`: a watermark pushed into the
 * query when the `ts` column is a time or integer column (a text column is filtered by the reader instead).
 */
export function selectSql(t: CheckedTable, as: 'json' | 'csv', since = 0): string {
  const exprs = [...t.columns].map(([col, [src, type]]) => `${as === 'json' ? jsonExpr(src, type) : csvExpr(src, type)} AS ${ident(col)}`);
  const ts = t.columns.get('ts');
  let where = '';
  if (since > 0 && ts !== undefined && (ts[1] === 'time' || ts[1] === 'int')) {
    where = ts[1] === 'time' ? ` WHERE ${ident(ts[0])} > to_timestamp(${Math.floor(since)})` : ` WHERE ${ident(ts[0])} > ${Math.floor(since)}`;
  }
  const orderBy = t.order === null ? '' : ` ORDER BY ${ident(t.order)}`;
  return `SELECT ${exprs.join(', ')} FROM ${qualified(t.plan)}${where}${orderBy}`;
}

/** The COPY that streams a role's rows: JSON lines (users, events) or CSV with a header (connections). */
export function copySql(t: CheckedTable, since = 0): string {
  if (t.plan.role === 'connections') return `COPY (${selectSql(t, 'csv')}) TO STDOUT (FORMAT csv, HEADER true)`;
  // CSV with a delimiter and quote that JSON text never contains raw: each object goes out verbatim.
  return `COPY (SELECT row_to_json(r) FROM (${selectSql(t, 'json', since)}) r) TO STDOUT (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
}

/** Row count and a checksum of what the role reads, order column included (the input fingerprint). */
export function checksumSql(t: CheckedTable): string {
  const exprs = [...t.columns].map(([col, [src, type]]) => `${csvExpr(src, type)} AS ${ident(col)}`);
  if (t.order !== null) exprs.push(`${ident(t.order)}::text AS "~order"`);
  return `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(r::text, 0)::numeric), 0)::text AS h FROM (SELECT ${exprs.join(', ')} FROM ${qualified(t.plan)}) r`;
}
