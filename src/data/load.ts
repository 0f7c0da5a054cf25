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
import type { EdgeColumns } from './readers/edgeList.js';
import { inputName } from './readers/lines.js';
import { planDataset, type DatasetPlan } from './readers/manifest.js';
import { fitProfiles, readProfiles } from './readers/profiles.js';
import type { FileReport, World } from './world.js';

export { formatReport, parseBadRowLimit, type BadRowLimit, type Reject } from './readers/accounting.js';
export type { DatasetPlan } from './readers/manifest.js';
export type { LineInput, StreamInput } from './readers/lines.js';

export interface LoadOptions {
  /** Malformed rows allowed per file: N, "P%" of its rows, or (default) max(10, 1% of rows), below half the rows. */
  maxBadRows?: BadRowLimit;
  /** Overrides dataset.json's `unknownUsers`. */
  unknownUsers?: 'keep' | 'reject';
  /** Told of every rejected row (file, line, reason, text), in file order. */
  onReject?: (r: Reject) => void;
  /** The connection file's 0-based columns; overrides dataset.json's (default: from a header, else `src dst [ts]`). */
  columns?: EdgeColumns;
  /** The events watermark: only events after this time (epoch seconds) are read (see readEvents). */
  eventsSince?: number;
}

/**
 * Loads `dir`, a dataset folder or a bare edge-list file. A missing folder or required file is PYMK_BAD_INPUT naming the path; a file with too many
 * malformed rows is PYMK_TOO_MANY_BAD_ROWS naming the file; a dataset without a single valid connection is
 * PYMK_BAD_INPUT. An optional file that is empty is a warning naming it (report.warnings).
 */
export async function loadDataset(dir: string, opts: LoadOptions = {}): Promise<World> {
  return loadPlan(await planDataset(dir), opts);
}

/** Reads a plan's inputs (files or streams) into a World; the one place the import's rules are applied. */
export async function loadPlan(plan: DatasetPlan, opts: LoadOptions = {}): Promise<World> {
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
    const path = inputName(plan.connections.path);
    throw new PymkError('PYMK_BAD_INPUT', `${path}: no valid connections (${c.report.rowsRead} rows read)`, {
      path,
      report: c.report,
    });
  }
  let events: EventTable = new EventBuilder().finish();
  if (plan.events) {
    const parts: EventTable[] = [];
    const inputs = Array.isArray(plan.events.path) ? plan.events.path : [plan.events.path];
    for (const input of inputs) {
      const r = await readEvents(input, interner, { ...acc, unknownUsers, since: opts.eventsSince });
      parts.push(r.events);
      files.push(r.report);
      if (inputs.length === 1) warnEmpty(r.report, 'no activity (no log-derived features, no exclusions)');
    }
    events = parts.length === 1 ? parts[0] : concatEvents(parts);
  }
  for (const f of files) {
    const n = f.flagged?.unknown_user ?? 0;
    if (n > 0) warnings.push(`${f.path}: ${n} rows name users absent from the profile file ${inputName(plan.profiles!.path)} (kept: unknownUsers 'keep')`);
  }
  return {
    ids,
    profiles: fitProfiles(profiles, ids.size),
    connections: c.edges,
    events,
    report: { files, name: plan.name, directed: plan.directed, ...(warnings.length > 0 && { warnings }) },
  };
}

/** One table of the events of several files, in order. */
function concatEvents(parts: EventTable[]): EventTable {
  const b = new EventBuilder();
  for (const p of parts) for (let i = 0; i < p.count; i++) b.push(p.type[i], p.actor[i], p.target[i], p.ts[i]);
  return b.finish();
}
