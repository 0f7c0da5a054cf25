/**
 * Stage 1: read the dataset folder (connections, profiles, events) or a bare edge-list file into columnar artifacts. Every rejected
 * row goes to `data/rejects.jsonl` (file, line, reason, message, text); the first few are logged; counts by
 * reason are in the log's summary line and the stage's metrics.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PROFILE_FIELDS, growProfiles } from '../../core/tables.js';
import type { BadRowLimit, Reject } from '../../data/load.js';
import type { EdgeColumns } from '../../data/readers/edgeList.js';
import { isFlaggedNote } from '../../data/readers/accounting.js';
import { openSource, type Source } from '../../data/sources/index.js';
import { ARTIFACTS } from '../../bundle/artifacts.js';
import type { Stage } from '../stage.js';

export interface IngestParams {
  maxBadRows?: BadRowLimit;
  /** Overrides the dataset's `unknownUsers`. */
  unknownUsers?: 'keep' | 'reject';
  /** The connection file's 0-based columns; overrides dataset.json's. */
  columns?: EdgeColumns;
  /** Only events after this time (epoch seconds) are read: the watermark of an earlier run. */
  eventsSince?: number;
}

/** Skip reasons that are rules, not malformed rows. */
const DROPPED_BY_RULE = new Set(['self_loop', 'duplicate_pair', 'before_watermark']);

/** Rejected rows logged on stderr (all of them are in the rejects file). */
export const LOGGED_REJECTS = 5;

/**
 * `source`: where the dataset is read from (a folder, a database, src/data/sources); default: the run's
 * `data` input as a path or URL. Given explicitly when the URL carries what the manifest must not record
 * (a password) or a mapping.
 */
export function ingestStage(params: IngestParams = {}, source?: Source): Stage {
  return {
    name: 'ingest',
    params,
    version: '2',
    async run(ctx) {
      const rejects = new RejectsFile(ctx.path(ARTIFACTS.rejects), (r) =>
        ctx.log(`rejected ${r.file}:${r.line}: ${r.reason}: ${r.message}`),
      );
      let world;
      try {
        const input = ctx.input('data'); // read through ctx, so a later run knows this stage read it
        const from = source ?? openSource(input);
        world = await from.load({ maxBadRows: params.maxBadRows, unknownUsers: params.unknownUsers, columns: params.columns, eventsSince: params.eventsSince, onReject: (r) => rejects.add(r) });
      } finally {
        rejects.close();
      }
      await ctx.addFile(ARTIFACTS.rejects);
      const n = world.ids.size;
      const p = growProfiles(world.profiles, n);
      await ctx.writeJson(ARTIFACTS.ids, world.ids.toArray());
      await ctx.writeJson(ARTIFACTS.dicts, Object.fromEntries(PROFILE_FIELDS.map((f) => [f, p.dicts[f].toArray()])));
      await ctx.writeArrays(ARTIFACTS.profiles, {
        ...p.codes,
        seniority: p.seniority,
        joinedAt: p.joinedAt,
        flags: p.flags,
      });
      const c = world.connections;
      await ctx.writeArrays(ARTIFACTS.connections, { src: c.src, dst: c.dst, ts: c.ts });
      const e = world.events;
      await ctx.writeArrays(ARTIFACTS.events, { type: e.type, actor: e.actor, target: e.target, ts: e.ts });
      await ctx.writeJson(ARTIFACTS.importReport, world.report);

      // Per reason over all files: rejected (malformed, listed in the rejects file), dropped by rule, kept but flagged.
      const rejected: Record<string, number> = {};
      const dropped: Record<string, number> = {};
      const flagged: Record<string, number> = {};
      const byFile: Record<string, Record<string, number>> = {};
      let skipped = 0;
      for (const f of world.report.files) {
        byFile[basename(f.path)] = { ...f.skipped };
        for (const [k, v] of Object.entries(f.skipped)) {
          skipped += v;
          const into = DROPPED_BY_RULE.has(k) ? dropped : rejected;
          into[k] = (into[k] ?? 0) + v;
        }
        for (const [k, v] of Object.entries(f.flagged ?? {})) flagged[k] = (flagged[k] ?? 0) + v;
      }
      for (const f of world.report.files) for (const note of f.notes ?? []) if (note.startsWith('header ')) ctx.log(`${f.path}: ${note}`);
      // The first few kept-but-flagged rows of each reason, with their file:line (accounting.ts flag).
      for (const f of world.report.files) for (const note of f.notes ?? []) if (isFlaggedNote(note)) ctx.log(`flagged: ${note}`);
      for (const w of world.report.warnings ?? []) ctx.log(`warning: ${w}`);
      const list = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
      ctx.log(
        `${n} users, ${c.count} connection rows, ${e.count} events; ${rejects.count} rows rejected (${list(rejected)})` +
          `${rejects.count > 0 ? `, all listed in ${ARTIFACTS.rejects}` : ''}; dropped by rule: ${list(dropped)}` +
          (Object.keys(flagged).length > 0 ? `; kept but flagged: ${list(flagged)}` : ''),
      );
      return {
        users: n,
        watermark: { connections: maxOf(c.ts, c.count), events: maxOf(e.ts, e.count), eventsSince: params.eventsSince ?? 0 },
        connectionRows: c.count,
        events: e.count,
        rowsSkipped: skipped,
        rowsRejected: rejects.count,
        rejected,
        dropped,
        flagged,
        skippedByFile: byFile,
        warnings: world.report.warnings ?? [],
      };
    },
  };
}

/** The latest time in a column (0 when empty or unknown): what this run consumed up to. */
function maxOf(ts: Uint32Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) if (ts[i] > m) m = ts[i];
  return m;
}

/** The rejects file, written as rows come (synchronous appends in 64 KB batches; memory stays flat). */
class RejectsFile {
  count = 0;
  private fd: number;
  private pending: string[] = [];
  private bytes = 0;

  constructor(
    path: string,
    private readonly logFirst: (r: Reject) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
  }

  add(r: Reject): void {
    if (this.count++ < LOGGED_REJECTS) this.logFirst(r);
    const line = `${JSON.stringify({ file: r.file, line: r.line, reason: r.reason, message: r.message, text: r.text })}\n`;
    this.pending.push(line);
    this.bytes += line.length;
    if (this.bytes > 1 << 16) this.flush();
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.bytes = 0;
  }
}
