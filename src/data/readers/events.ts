/**
 * Activity-log reader: `events.jsonl`, one `{"ts", "type", "actor", "target"}` object per line. The type must
 * be one of EVENT_TYPES; actor and target are user ids (new ids are added); ts is epoch seconds or ISO 8601.
 */
import { EVENT_CODE, EVENT_TYPES, EventBuilder, type EventTable, type EventType } from '../../core/tables.js';
import type { FileReport } from '../world.js';
import { RowAccount, type AccountOptions } from './accounting.js';
import { BAD_TS, MAX_TS, TS_EXPECTED, parseTimestamp, quote } from './fields.js';
import type { IdInterner } from './ids.js';
import { parseJsonObject, readId } from './jsonRows.js';
import { scanLines } from './lines.js';

export interface EventReadResult {
  events: EventTable;
  report: FileReport;
}

const KNOWN = new Set(['ts', 'type', 'actor', 'target']);

/** Reads an events file, interning actor and target ids into `ids`. */
export async function readEvents(path: string, ids: IdInterner, opts: AccountOptions = {}): Promise<EventReadResult> {
  const acc = new RowAccount(path, 'events', opts);
  const builder = new EventBuilder();
  const unknown = new Set<string>();
  const scan = await scanLines(
    path,
    (buf, s, e, lineNo) => {
      const text = buf.toString('utf8', s, e);
      if (text.trim() === '') return;
      acc.rowsRead++;
      const row = parseJsonObject(text);
      if (!row.ok) return acc.malformed(row.reason, lineNo, row.message);
      const o = row.value;
      for (const k in o) {
        if (KNOWN.has(k) || unknown.has(k)) continue;
        unknown.add(k);
        acc.note(`unknown field '${k}' ignored (first on line ${lineNo})`);
      }
      const type = o.type;
      if (typeof type !== 'string' || !Object.hasOwn(EVENT_CODE, type)) {
        const reason = type == null ? 'missing_type' : 'unknown_event_type';
        return acc.malformed(reason, lineNo, `field 'type' must be one of ${EVENT_TYPES.join(', ')}, got ${quote(type)}`);
      }
      const ts = eventTime(o.ts);
      if (ts === BAD_TS) {
        const reason = o.ts == null ? 'missing_ts' : 'bad_ts';
        return acc.malformed(reason, lineNo, `field 'ts' must be ${TS_EXPECTED}, got ${quote(o.ts)}`);
      }
      const actor = readId(o.actor, 'actor');
      if (typeof actor !== 'string') return acc.malformed(actor.reason, lineNo, actor.message);
      const target = readId(o.target, 'target');
      if (typeof target !== 'string') return acc.malformed(target.reason, lineNo, target.message);
      if (actor === target) return acc.malformed('actor_is_target', lineNo, `expected 'actor' and 'target' to differ, both are ${quote(actor)}`);
      builder.push(EVENT_CODE[type as EventType], ids.fromString(actor), ids.fromString(target), ts);
      acc.rowsKept++;
    },
    acc.progress,
  );
  return { events: builder.finish(), report: acc.finish(scan.sha256) };
}

/** A required, known event time, or BAD_TS. */
function eventTime(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 && v <= MAX_TS ? v : BAD_TS;
  if (typeof v === 'string' && v.trim() !== '') {
    const t = parseTimestamp(v.trim());
    return t === 0 ? BAD_TS : t;
  }
  return BAD_TS;
}
