/**
 * A source of a dataset: where connections, profiles and events are read from. Chosen by URL
 * (`openSource`, index.ts): a folder of files (docs/formats.md) or a PostgreSQL database
 * (`postgres://…`, docs/sources.md). Every source reads through the same readers and import rules
 * (loadPlan in ../load.ts), so bad rows are reported the same way whatever the source.
 */
import type { InputRecord } from '../../bundle/manifest.js';
import type { LoadOptions } from '../load.js';
import type { World } from '../world.js';

export interface Source {
  /** The URL scheme it was opened by: 'folder' for a path or file: URL, 'postgres' … */
  readonly kind: string;
  /** Printable name: a path, or a URL without its password. Recorded in the bundle's manifest. */
  readonly label: string;
  /** Bytes the fingerprint reads, for a progress bar (0 when it is not known up front). */
  size(): Promise<number>;
  /** A checksum of what the source holds now: the run's input record, which decides whether a run resumes. */
  fingerprint(onBytes?: (n: number) => void): Promise<InputRecord>;
  /** Reads the dataset. Bad rows are counted and listed as for files; too many fail with PYMK_TOO_MANY_BAD_ROWS. */
  load(opts?: LoadOptions): Promise<World>;
}
