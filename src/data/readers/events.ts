/**
 * Activity-log reader: `events.jsonl`, one `{"ts", "type", "actor", "target"}` object per line. The type must
 * be one of EVENT_TYPES; actor and target are user ids (new ids are added); ts is epoch seconds or ISO 8601.
 */
import { EVENT_CODE, EVENT_TYPES, EventBuilder, type EventTable, type EventType } from '../../core/tables.js';
import type { FileReport } from '../world.js';
import { RowAccount, type AccountOptions } from './accounting.js';
import { BAD_TS, MAX_TS, TS_EXPECTED, parseTimestamp, quote } from './fields.js';
import { UNKNOWN_ID, type IdInterner } from './ids.js';
import { FlatJsonScanner, INTEGER, STRING, digitsValue, isIdValue, sameBytes } from './flatJson.js';
import { parseJsonObject, readId } from './jsonRows.js';
import { inputName, scanLines, type LineInput } from './lines.js';

export interface EventReadResult {
  events: EventTable;
  report: FileReport;
}

const KNOWN = new Set(['ts', 'type', 'actor', 'target']);

export interface EventReadOptions extends AccountOptions {
  /** As for edge lists: a row naming a user absent from the profile file is kept and flagged, or rejected (ids frozen). */
  unknownUsers?: 'keep' | 'reject';
  /**
   * The watermark: events at or before this time (epoch seconds) were consumed by an earlier run. They are
   * dropped by rule as `before_watermark` (counted, not malformed) and their users get no id from them.
   */
  since?: number;
}

/** Reads an events file, interning actor and target ids into `ids`. */
export async function readEvents(input: LineInput, ids: IdInterner, opts: EventReadOptions = {}): Promise<EventReadResult> {
  const acc = new RowAccount(inputName(input), 'events', opts);
  const builder = new EventBuilder();
  const unknown = new Set<string>();
  const since = opts.since ?? 0;
  const fast = new FastEventLine(ids, builder, since);
  const keepUnknown = opts.unknownUsers !== 'reject';
  const flagUnknown = (a: number, t: number, lineNo: number): void => {
    const id = ids.ids.value(ids.isUnknown(a) ? a : t);
    acc.flag('unknown_user', lineNo, `id ${quote(id)} has no row in the profile file (kept: unknownUsers 'keep')`);
  };
  const scan = await scanLines(
    input,
    (buf, s, e, lineNo) => {
      acc.at(buf, s, e);
      const took = fast.take(buf, s, e);
      if (took === BEFORE) {
        acc.rowsRead++;
        return acc.dropped('before_watermark');
      }
      if (took) {
        acc.rowsRead++;
        acc.rowsKept++;
        if (keepUnknown && (ids.isUnknown(fast.actor) || ids.isUnknown(fast.target))) flagUnknown(fast.actor, fast.target, lineNo);
        return;
      }
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
      if (ts <= since) return acc.dropped('before_watermark');
      const actor = readId(o.actor, 'actor');
      if (typeof actor !== 'string') return acc.malformed(actor.reason, lineNo, actor.message);
      const target = readId(o.target, 'target');
      if (typeof target !== 'string') return acc.malformed(target.reason, lineNo, target.message);
      if (actor === target) return acc.malformed('actor_is_target', lineNo, `expected 'actor' and 'target' to differ, both are ${quote(actor)}`);
      const a = ids.fromString(actor);
      const t = a < 0 ? a : ids.fromString(target);
      if (a < 0 || t < 0) {
        const which = a < 0 ? 'actor' : 'target';
        const raw = a < 0 ? actor : target;
        if ((a < 0 ? a : t) === UNKNOWN_ID) return acc.malformed('unknown_user', lineNo, `field '${which}' ${quote(raw)} has no row in the profile file (unknownUsers: 'reject')`);
        return acc.malformed(`bad_${which}`, lineNo, `field '${which}' ${quote(raw)}: ${ids.problem}`);
      }
      builder.push(EVENT_CODE[type as EventType], a, t, ts);
      acc.rowsKept++;
      if (keepUnknown && (ids.isUnknown(a) || ids.isUnknown(t))) flagUnknown(a, t, lineNo);
    },
    acc.progress,
  );
  return { events: builder.finish(), report: acc.finish(scan.sha256) };
}

const [TS, TYPE, ACTOR, TARGET] = [0, 1, 2, 3];
/** FastEventLine.take: a well-formed row at or before the watermark. */
const BEFORE = 2;
const TYPE_BYTES = EVENT_TYPES.map((t) => Buffer.from(t));

/**
 * The allocation-free path for a well-formed line: a flat object with exactly ts, type, actor and target.
 * Anything it does not accept (or any problem) goes to the general path, which reports it.
 */
class FastEventLine {
  private readonly json = new FlatJsonScanner(['ts', 'type', 'actor', 'target']);
  /** The dense ids of the last row taken. */
  actor = 0;
  target = 0;

  constructor(
    private readonly ids: IdInterner,
    private readonly builder: EventBuilder,
    private readonly since: number,
  ) {}

  /** true: taken; BEFORE: well-formed but at or before the watermark (not taken); false: not this path's. */
  take(buf: Buffer, s: number, e: number): boolean | typeof BEFORE {
    const j = this.json;
    if (!j.scan(buf, s, e)) return false;
    const { kind, start, end } = j;
    if (kind[TYPE] !== STRING || !isIdValue(kind[ACTOR], start[ACTOR], end[ACTOR]) || !isIdValue(kind[TARGET], start[TARGET], end[TARGET])) {
      return false;
    }
    const type = typeCode(buf, start[TYPE], end[TYPE]);
    if (type < 0) return false;
    let ts: number;
    if (kind[TS] === INTEGER) ts = digitsValue(buf, start[TS], end[TS]);
    else if (kind[TS] === STRING) ts = parseTimestamp(buf.toString('utf8', start[TS], end[TS]).trim());
    else return false;
    if (ts <= 0 || ts > MAX_TS) return false;
    if (ts <= this.since) return BEFORE;
    if (sameBytes(buf, start[ACTOR], end[ACTOR], start[TARGET], end[TARGET])) return false;
    const actor = this.ids.fromBytes(buf, start[ACTOR], end[ACTOR]);
    if (actor < 0) return false;
    const target = this.ids.fromBytes(buf, start[TARGET], end[TARGET]);
    if (target < 0) return false;
    this.builder.push(type, actor, target, ts);
    this.actor = actor;
    this.target = target;
    return true;
  }
}

function typeCode(buf: Buffer, s: number, e: number): number {
  for (let t = 0; t < TYPE_BYTES.length; t++) {
    const name = TYPE_BYTES[t];
    if (name.length !== e - s) continue;
    let i = 0;
    while (i < name.length && name[i] === buf[s + i]) i++;
    if (i === name.length) return t;
  }
  return -1;
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
