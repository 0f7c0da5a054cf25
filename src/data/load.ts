/**
 * `loadDataset(dir)`: reads a dataset folder (docs/formats.md) into a World. Files are streamed line by
 * line; ids are interned in the order profiles → connections → events, so profile rows get the first dense
 * ids and users seen only in connections or events still get one (with an empty profile).
 */
import { Dictionary } from '../core/dictionary.js';
import { PymkError } from '../core/errors.js';
import { EventBuilder, emptyProfiles, type EventTable } from '../core/tables.js';
import type { AccountOptions } from './readers/accounting.js';
import { readEdgeList } from './readers/edgeList.js';
import { readEvents } from './readers/events.js';
import { IdInterner } from './readers/ids.js';
import { planDataset } from './readers/manifest.js';
import { fitProfiles, readProfiles } from './readers/profiles.js';
import type { FileReport, World } from './world.js';

export { formatReport } from './readers/accounting.js';

export interface LoadOptions {
  /** Malformed rows allowed per file; default max(1000, 1% of the file's rows). */
  maxBadRows?: number;
}

/**
 * Loads `dir`. A missing folder or required file is PYMK_BAD_INPUT naming the path; a file with too many
 * malformed rows is PYMK_TOO_MANY_BAD_ROWS naming the file; a dataset without a single valid connection is
 * PYMK_BAD_INPUT.
 */
export async function loadDataset(dir: string, opts: LoadOptions = {}): Promise<World> {
  const plan = await planDataset(dir);
  const acc: AccountOptions = opts.maxBadRows === undefined ? {} : { maxBadRows: opts.maxBadRows };
  const ids = new Dictionary();
  const interner = new IdInterner(ids);
  const files: FileReport[] = [];

  let profiles = emptyProfiles(0);
  if (plan.profiles) {
    const r = await readProfiles(plan.profiles.path, interner, { ...acc, format: plan.profiles.format });
    profiles = r.profiles;
    files.push(r.report);
  }
  const c = await readEdgeList(plan.connections.path, interner, {
    ...acc,
    directed: plan.directed,
    delimiter: plan.connections.delimiter,
    columns: plan.connections.columns,
  });
  files.push(c.report);
  if (c.edges.count === 0) {
    throw new PymkError('PYMK_BAD_INPUT', `${plan.connections.path}: no valid connections (${c.report.rowsRead} rows read)`, {
      path: plan.connections.path,
      report: c.report,
    });
  }
  let events: EventTable = new EventBuilder().finish();
  if (plan.events) {
    const r = await readEvents(plan.events.path, interner, acc);
    events = r.events;
    files.push(r.report);
  }
  return {
    ids,
    profiles: fitProfiles(profiles, ids.size),
    connections: c.edges,
    events,
    report: { files, name: plan.name, directed: plan.directed },
  };
}
