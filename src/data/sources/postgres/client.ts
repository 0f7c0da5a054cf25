/**
 * The PostgreSQL driver seam: the only file that imports `pg` and `pg-copy-streams`. Parses a source URL (`postgres://user[:password]@host[:port]/db[?schema=name]`), connects, runs
 * queries and streams COPY; driver errors become PymkErrors naming the source.
 */
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { PymkError } from '../../../core/errors.js';

export interface PgUrl {
  /** The URL for the driver, without pymk's own parameters. */
  connection: string;
  /** The URL without its password, for logs and the manifest. */
  label: string;
  /** `?schema=`: the schema of the default tables. */
  schema?: string;
}

export function parsePgUrl(url: string): PgUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PymkError('PYMK_BAD_PARAM', `not a PostgreSQL URL: ${JSON.stringify(url)} (expected postgres://user@host:port/database[?schema=name])`);
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  if (u.password) {
    const shown = new URL(u.toString());
    shown.password = '***';
    u.searchParams.delete('schema');
    return { connection: u.toString(), label: shown.toString(), ...(schema !== undefined && { schema }) };
  }
  const label = u.toString();
  u.searchParams.delete('schema');
  return { connection: u.toString(), label, ...(schema !== undefined && { schema }) };
}

/** An open connection; `close()` always. */
export class PgConnection {
  private constructor(
    private readonly client: pg.Client,
    readonly label: string,
  ) {}

  static async open(url: PgUrl): Promise<PgConnection> {
    const client = new pg.Client({ connectionString: url.connection, application_name: 'pymk' });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw new PymkError('PYMK_SOURCE_UNAVAILABLE', `${url.label}: cannot connect (${(e as Error).message})`, { source: url.label });
    }
    // A dropped connection must fail the read in progress, not the process.
    client.on('error', () => {});
    return new PgConnection(client, url.label);
  }

  async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.client.query(sql, params)).rows as R[];
    } catch (e) {
      throw this.failed(e, sql);
    }
  }

  /** The output of `COPY … TO STDOUT`, as it arrives (the stream applies backpressure to the server). */
  async *copyOut(sql: string): AsyncGenerator<Buffer> {
    const stream = this.client.query(copyTo(sql));
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    } catch (e) {
      throw this.failed(e, sql);
    } finally {
      stream.destroy();
    }
  }

  /** Streams `chunks` into `COPY … FROM STDIN`; returns the rows copied. */
  async copyIn(sql: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<number> {
    const stream = this.client.query(copyFrom(sql));
    try {
      await pipeline(Readable.from(chunks), stream);
    } catch (e) {
      throw this.failed(e, sql);
    }
    return stream.rowCount;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }

  private failed(e: unknown, sql: string): PymkError {
    if (e instanceof PymkError) return e;
    const short = sql.length > 160 ? `${sql.slice(0, 160)}…` : sql;
    return new PymkError('PYMK_SOURCE_UNAVAILABLE', `${this.label}: ${(e as Error).message} (in: ${short})`, { source: this.label });
  }
}
