/**
 * `openSource(url)`: the dataset source for a URL, chosen by scheme from a registry. A plain path or a
 * `file:` URL is a folder of files; `postgres://` or `postgresql://` is a PostgreSQL database read with the
 * default schema or a mapping (docs/sources.md). An unknown scheme fails with the list of known ones.
 */
import { fileURLToPath } from 'node:url';
import { unknownName } from '../../core/errors.js';
import { FolderSource } from './folder.js';
import { PostgresSource } from './postgres/source.js';
import type { PostgresMapping } from './postgres/mapping.js';
import type { Source } from './types.js';

export type { Source } from './types.js';
export { PostgresMappingSchema, type PostgresMapping } from './postgres/mapping.js';
export { loadIntoPostgres, type LoadIntoOptions, type LoadIntoResult } from './postgres/writer.js';

/** Per-scheme settings, e.g. the table/column mapping of a PostgreSQL source (the config file's `source`). */
export interface SourceConfig {
  postgres?: PostgresMapping;
}

type Opener = (url: string, config: SourceConfig) => Source;

const SCHEMES: Record<string, Opener> = {
  file: (url) => new FolderSource(fileURLToPath(url)),
  postgres: (url, c) => new PostgresSource(url, c.postgres ?? {}),
  postgresql: (url, c) => new PostgresSource(url, c.postgres ?? {}),
};

/** The source for `url`: a path (no scheme) is a folder. */
export function openSource(url: string, config: SourceConfig = {}): Source {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (m === null) return new FolderSource(url);
  const scheme = m[1].toLowerCase();
  const open = SCHEMES[scheme];
  if (open === undefined) throw unknownName('source scheme', scheme, [...Object.keys(SCHEMES), '(a folder path)']);
  return open(url, config);
}
