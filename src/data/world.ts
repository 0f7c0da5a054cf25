/** The in-memory form of a dataset: ids, profiles, connections and activity, all columnar. */
import type { Dictionary } from '../core/dictionary.js';
import type { EdgeTable, EventTable, ProfileTable } from '../core/tables.js';

export interface World {
  /** External user id ↔ dense int. Every id seen in any input is here. */
  ids: Dictionary;
  profiles: ProfileTable;
  connections: EdgeTable;
  events: EventTable;
  report: ImportReport;
}

/** What an import read, per file: rows read, rows kept, rows skipped by reason (never silently dropped). */
export interface ImportReport {
  files: FileReport[];
  /** The dataset's name (from dataset.json, else the folder name), when loaded by loadDataset. */
  name?: string;
  /** Whether the connections were read as directed pairs (dataset.json `connections.directed`). */
  directed?: boolean;
  /** Problems that do not skip rows but deserve a look, each naming its file (an empty optional file …). */
  warnings?: string[];
}

export interface FileReport {
  path: string;
  kind: 'connections' | 'profiles' | 'events';
  rowsRead: number;
  rowsKept: number;
  skipped: Record<string, number>;
  /** How many of the skipped rows were malformed (held against the bad-row limit, listed in the rejects). */
  malformed?: number;
  /** Rows kept that a check flagged, by reason (e.g. `unknown_user` when unknownUsers is 'keep'). */
  flagged?: Record<string, number>;
  /** The first few problems, each naming the line and what was expected. */
  samples: string[];
  sha256: string;
  /** Remarks that are not skipped rows, e.g. unknown fields (each named once) or a detected header. */
  notes?: string[];
}
