/**
 * `loadDataset(dir)`: reads a dataset folder (docs/formats.md) into a World. Files are streamed line by
 * line; ids are interned in the order profiles → connections → events, so profile rows get the first dense
 * ids and users seen only in connections or events still get one (with an empty profile) — unless the
 * dataset says `"unknownUsers": "reject"`, when such rows are rejected instead. Every id is checked against
 * the dataset's id grammar (idGrammar.ts); a row with an invalid id is rejected, never turned into a user.
 */
import { Dictionary } from '../core/dictionary.js';
import { PymkError } from '../core/errors.js';
import { EventBuilder, emptyProfiles, type EventTable } from '../core/tables.js';
import type { AccountOptions, BadRowLimit, Reject } from './readers/accounting.js';
import { readEdgeList } from './readers/edgeList.js';
import { readEvents } from './readers/events.js';
import { IdGrammar } from './readers/idGrammar.js';
import { IdInterner } from './readers/ids.js';
import { planDataset } from './readers/manifest.js';
import type { EdgeColumns } from './readers/edgeList.js';
import { fitProfiles, readProfiles } from './readers/profiles.js';
import type { FileReport, World } from './world.js';

export { formatReport, parseBadRowLimit, type BadRowLimit, type Reject } from './readers/accounting.js';

export interface LoadOptions {
  /** Malformed rows allowed per file: N, "P%" of its rows, or (default) max(10, 1% of rows), below half the rows. */
  maxBadRows?: BadRowLimit;
  /** Overrides dataset.json's `unknownUsers`. */
  unknownUsers?: 'keep' | 'reject';
  /** Told of every rejected row (file, line, reason, text), in file order. */
  onReject?: (r: Reject) => void;
  /** The connection file's 0-based columns; overrides dataset.json's (default: from a header, else `src dst [ts]`). */
  columns?: EdgeColumns;
}

/**
 * Loads `dir`, a dataset folder or a bare edge-list file. A missing folder or required file is PYMK_BAD_INPUT naming the path; a file with too many
 * malformed rows is PYMK_TOO_MANY_BAD_ROWS naming the file; a dataset without a single valid connection is
 * PYMK_BAD_INPUT. An optional file that is empty is a warning naming it (report.warnings).
 */
export async function loadDataset(dir: string, opts: LoadOptions = {}): Promise<World> {
  const plan = await planDataset(dir);
  const unknownUsers = opts.unknownUsers ?? plan.unknownUsers;
  const acc: AccountOptions = { maxBadRows: opts.maxBadRows, onReject: opts.onReject };
  const ids = new Dictionary();
  const interner = new IdInterner(ids, new IdGrammar(plan.ids));
  const files: FileReport[] = [];
  const warnings: string[] = [];
  const warnEmpty = (r: FileReport, what: string): void => {
    if (r.rowsRead === 0) warnings.push(`${r.path}: empty ${r.kind} file (no data rows): ${what}`);
  };

  let profiles = emptyProfiles(0);
  if (plan.profiles) {
    const r = await readProfiles(plan.profiles.path, interner, { ...acc, format: plan.profiles.format });
    profiles = r.profiles;
    files.push(r.report);
    warnEmpty(r.report, 'every user has an empty profile');
    if (unknownUsers === 'reject') interner.freeze();
    else interner.markKnown();
  }
  const c = await readEdgeList(plan.connections.path, interner, {
    ...acc,
    directed: plan.directed,
    delimiter: plan.connections.delimiter,
    columns: opts.columns ?? plan.connections.columns,
    unknownUsers,
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
    const r = await readEvents(plan.events.path, interner, { ...acc, unknownUsers });
    events = r.events;
    files.push(r.report);
    warnEmpty(r.report, 'no activity (no log-derived features, no exclusions)');
  }
  for (const f of files) {
    const n = f.flagged?.unknown_user ?? 0;
    if (n > 0) warnings.push(`${f.path}: ${n} rows name users absent from the profile file ${plan.profiles!.path} (kept: unknownUsers 'keep')`);
  }
  return {
    ids,
    profiles: fitProfiles(profiles, ids.size),
    connections: c.edges,
    events,
    report: { files, name: plan.name, directed: plan.directed, ...(warnings.length > 0 && { warnings }) },
  };
}
