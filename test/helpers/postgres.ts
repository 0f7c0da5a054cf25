/**
 * The machine's PostgreSQL for tests: PYMK_TEST_POSTGRES, else postgres://postgres@127.0.0.1:5432/postgres.
 * Each suite works in its own schema (`freshSchema`), dropped afterwards, so suites never see each other.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { skipUnlessRequired } from './services.js';

export function testPostgresUrl(): string {
  return process.env.PYMK_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** Why the machine's PostgreSQL cannot be used, or null. */
export async function testPostgresMissing(): Promise<string | null> {
  const c = new pg.Client({ connectionString: testPostgresUrl(), connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return `no PostgreSQL at ${testPostgresUrl()} (${(e as Error).message})`;
  } finally {
    await c.end().catch(() => {});
  }
}

/** `false` or the reason to skip (throws when services are required). */
export async function skipWithoutPostgres(): Promise<string | false> {
  return skipUnlessRequired(await testPostgresMissing(), 'start PostgreSQL or set PYMK_TEST_POSTGRES');
}

/** A unique schema name for one suite. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The test URL pointing at `schema`. */
export function schemaUrl(schema: string): string {
  const u = new URL(testPostgresUrl());
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Runs SQL on the test database (setup and cleanup of suites). */
export async function sql(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: testPostgresUrl() });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
