/**
 * POST /v1/events (scope events:write): one event, or `{ "events": [ … ] }` with 1..MAX_EVENTS_PER_POST of
 * them, appended to the event log. The log validates the whole batch before writing anything (one bad
 * event: 400 PYMK_BAD_EVENT naming the field, nothing appended) and the answer, 202, comes only after it
 * acknowledged the write. A log that cannot be reached is 503 PYMK_EVENTS_UNAVAILABLE: the client may retry
 * with the same event ids (the invalidator applies an id once). docs/events.md, "POST /v1/events".
 */
import type { FastifyPluginAsync } from 'fastify';
import { PymkError, isPymkError } from '../../core/errors.js';
import { EVENTS_BODY_LIMIT, eventsRoute, MAX_EVENTS_PER_POST } from '../schemas.js';
import '../context.js';

/** The events a body holds: the `events` list of a batch, or the body itself as one event. */
function eventsOf(body: unknown): unknown[] {
  const b = body as Record<string, unknown>;
  if (!('events' in b) || 'type' in b) return [body];
  const extra = Object.keys(b).filter((k) => k !== 'events');
  if (extra.length > 0) throw new PymkError('PYMK_BAD_EVENT', `body: unknown field '${extra[0]}' beside 'events'`);
  if (!Array.isArray(b.events)) throw new PymkError('PYMK_BAD_EVENT', 'events: expected a list of events');
  if (b.events.length === 0 || b.events.length > MAX_EVENTS_PER_POST) {
    throw new PymkError('PYMK_BAD_EVENT', `events: expected 1 to ${MAX_EVENTS_PER_POST} events, got ${b.events.length}`);
  }
  return b.events;
}

export const eventsPlugin: FastifyPluginAsync = async (app) => {
  app.post('/v1/events', { schema: eventsRoute, config: { scope: 'events:write' }, bodyLimit: EVENTS_BODY_LIMIT }, async (req, reply) => {
    const sink = app.eventSink;
    if (!sink) throw new PymkError('PYMK_EVENTS_UNAVAILABLE', 'this server has no event log (PYMK_EVENT_LOG)');
    const events = eventsOf(req.body);
    let positions: string[];
    try {
      positions = await sink.append(events);
    } catch (err) {
      if (isPymkError(err)) throw err;
      throw new PymkError('PYMK_EVENTS_UNAVAILABLE', `event log ${sink.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    app.metrics.eventsAccepted.inc(events.length);
    void reply.status(202);
    return { accepted: events.length, ids: events.map((e) => (e as { id: string }).id), positions };
  });
};
