/**
 * The admin views the dashboard reads (scope admin): GET /v1/admin/users/:id (profile, flags, connection
 * count; GET /v1/admin/users?id= is the same as a search, empty for an unknown id), GET /v1/admin/status (this process's health from its own metrics, over the last minutes through
 * MetricsHistory) and GET /v1/admin/runs (the bundles in the bundle root with their manifests' metrics).
 * docs/dashboard.md.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { FLAG_BANNED, FLAG_DEACTIVATED, PROFILE_FIELDS } from '../../core/tables.js';
import { MetricsHistory } from '../history.js';
import { bundleRoot, listRuns, servedRun } from '../runs.js';
import { adminRunsRoute, adminStatusRoute, adminUserRoute, adminUserSearchRoute } from '../schemas.js';
import '../context.js';

/** Connections listed by id in the user view. */
export const CONNECTION_SAMPLE = 10;
/** The default window of the status's rates and percentiles, seconds. */
export const STATUS_WINDOW_S = 300;

export const adminViewsPlugin: FastifyPluginAsync = async (app) => {
  const history = new MetricsHistory(app.metrics);
  await history.start();
  app.addHook('onClose', async () => history.stop());
  const started = Date.now();

  const core = () => {
    const c = app.recommendCore();
    if (!c) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
    return c;
  };

  /** The user view's profile of an external id, or null when the served bundle does not have it. */
  const profileOf = async (id: string) => {
    const { store } = core();
    const uid = await store.resolveUser(id);
    if (uid === null) return null;
    const inputs = await store.fetchRankingInputs(uid);
    const u = inputs.user;
    const profile: Record<string, string | number | null> = {};
    for (const f of PROFILE_FIELDS) profile[f] = u[f][0] >= 0 ? store.fieldValue(f, u[f][0]) : null;
    profile.seniority = u.seniority[0] >= 0 ? u.seniority[0] : null;
    const flags = u.flags[0] ?? 0;
    return {
      id,
      version: store.version(),
      profile,
      flags: { deactivated: (flags & FLAG_DEACTIVATED) !== 0, banned: (flags & FLAG_BANNED) !== 0 },
      connections: inputs.connections.length,
      connectionSample: await store.externalIds(inputs.connections.subarray(0, CONNECTION_SAMPLE)),
      blocked: inputs.blocked.length,
      dismissed: inputs.dismissed.length,
      candidates: inputs.candidates.ids.length,
      candidateSource: inputs.source,
    };
  };

  app.get<{ Params: { id: string } }>('/v1/admin/users/:id', { schema: adminUserRoute, config: { scope: 'admin' } }, async (req) => {
    const p = await profileOf(req.params.id);
    if (!p) throw new PymkError('PYMK_USER_NOT_FOUND', `user '${req.params.id}' not found in bundle ${core().store.version()}`);
    return p;
  });

  // A search answers 200 with no match for an unknown id (the dashboard looks users up this way).
  app.get<{ Querystring: { id: string } }>('/v1/admin/users', { schema: adminUserSearchRoute, config: { scope: 'admin' } }, async (req) => {
    const p = await profileOf(req.query.id.trim());
    return { query: req.query.id, version: core().store.version(), users: p ? [p] : [] };
  });

  app.get<{ Querystring: { window?: number } }>('/v1/admin/status', { schema: adminStatusRoute, config: { scope: 'admin' } }, async (req) => {
    const c = core();
    const { now, window, series } = await history.window(req.query.window ?? STATUS_WINDOW_S);
    const bundleDir = app.pymkConfig.bundle;
    const manifest = bundleDir ? await servedRun(bundleDir) : null;
    const p = now.plain;
    const total = (layer: string) => ({ hits: now.cache[`${layer}:hit`] ?? 0, misses: now.cache[`${layer}:miss`] ?? 0 });
    return {
      now: new Date(now.t).toISOString(),
      uptimeSeconds: Math.round((now.t - started) / 1000),
      version: c.store.version(),
      store: c.store.url,
      scorer: c.scorer.name,
      bundle: { dir: bundleDir ?? null, manifest: manifest && manifest.version === c.store.version() ? manifest : null, onDisk: manifest?.version ?? null },
      index: c.ann ? { present: true, ...(await c.ann.status()) } : { present: false },
      caches: {
        l1: { ...total('l1'), entries: app.resultCache.size, hitRate: window.cacheHitRate.l1 },
        l2: { configured: app.answers.l2 !== null, ...total('l2'), hitRate: window.cacheHitRate.l2 },
      },
      events: {
        log: app.eventSink?.url ?? null,
        accepted: p.pymk_events_accepted_total ?? 0,
        lag: p.pymk_event_lag ?? null,
        deadLetters: p.pymk_event_dead_letters ?? null,
        applied: p.pymk_events_applied ?? null,
        invalidations: p.pymk_invalidations_total ?? 0,
      },
      requests: { total: now.requests, byClass: now.byClass, answers: now.answers, errors: now.errors, window, series },
      fallbacks: {
        degraded: app.degrade.degraded,
        staticFailures: app.degrade.staticFailures.stats().failures,
        staleOrStaticAnswers: (now.answers.static ?? 0) + (now.answers['stale-cache'] ?? 0),
        rateLimited: app.limitStats.limited,
        limiterFailures: app.limitStats.failures,
        annSearchFailures: c.ann?.failures ?? 0,
        scorer: c.scorer.name,
      },
    };
  });

  app.get('/v1/admin/runs', { schema: adminRunsRoute, config: { scope: 'admin' } }, async () => {
    const bundleDir = app.pymkConfig.bundle;
    const served = app.recommendCore()?.store.version() ?? null;
    if (!bundleDir) return { root: null, served, runs: [] };
    const root = bundleRoot(bundleDir);
    return { root, served, runs: await listRuns(root) };
  });
};
