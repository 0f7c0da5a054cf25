/**
 * GET /v1/users/:id/recommendations (scope recommendations:read): L1, L2, then the recommend core with
 * graceful degradation (answers.ts, degrade.ts). `explain=true` (scope admin as well, when auth is on: it
 * shows who blocked or was dismissed) runs the same path with the rules' trace and is never cached. `limit` is a decimal integer in 1..maxLimit: the raw value is
 * checked before ajv's coercion, which would otherwise read `0x10` as 16, `1e2` as 100 or ` 7` as 7.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { recommendOrDegrade } from '../degrade.js';
import type { RecommendResult, StageClock } from '../../recommend/recommend.js';
import type { Answer } from '../answers.js';
import type { ServingCore } from '../degrade.js';
import type { Principal } from '../keys.js';
import { EXCLUSION_REASONS, type ExclusionReason, type RuleConfig } from '../../recommend/rules.js';
import { recommendationsRoute } from '../schemas.js';
import '../context.js';

const DECIMAL = /^[0-9]{1,9}$/;

export const recommendationsPlugin: FastifyPluginAsync = async (app) => {
  const config = app.pymkConfig;
  // Per-stage times of the full path (pymk_stage_duration_seconds; docs/serving.md#where-the-time-goes).
  // (hotMetrics' labels() keeps each stage's child: no label hashing per observation.)
  const onStage: StageClock = (stage, seconds) => app.metrics.stages.observe({ stage }, seconds);
  // The counters of the hot path, bound to their labels once.
  const answered: Partial<Record<string, { inc(): void }>> = Object.fromEntries(['l1', 'l2', 'stored', 'live-2hop', 'ann', 'profile', 'static'].map((p) => [p, app.metrics.answers.labels({ path: p })]));
  const count = (a: Answer): void => answered[a.layer === 'computed' ? a.result.source : a.layer]?.inc() ?? app.metrics.answers.inc({ path: a.result.source });
  /** Serialised L1 answers, by the cached result object (collected with it when L1 drops it). */
  const l1Bodies = new WeakMap<RecommendResult, string>();
  const bodyOf = (a: Answer, result: RecommendResult): Record<string, unknown> => ({ ...result, path: result.path ?? 'full', cached: a.layer !== 'computed', cache: a.layer, computedAt: new Date(a.computedAt).toISOString() });

  /** explain=true: the full path with the rules' trace, never cached. */
  const explained = async (core: ServingCore, user: string, limit: number, principal: Principal | null): Promise<Record<string, unknown>> => {
    if (principal && !principal.scopes.has('admin')) {
      throw new PymkError('PYMK_FORBIDDEN', "explain=true needs the scope 'admin' besides 'recommendations:read' (it shows blocks and dismissals)");
    }
    const result = await recommendOrDegrade(core, app.resultCache, app.degrade, user, limit, { explain: true });
    app.metrics.answers.inc({ path: result.source });
    return { ...withFallbackNote(result, core.rules), path: result.path ?? 'full', cached: false, cache: 'computed', computedAt: new Date().toISOString() };
  };

  /** After an L1 miss: L2, then the recommend path (with degradation). */
  const computed = async (core: ServingCore, user: string, limit: number, version: string): Promise<Record<string, unknown>> => {
    // The user's id is read beside the L2 lookup (one round trip fewer when L2 misses).
    let resolved: Promise<number | null> | undefined;
    const readId = (): void => {
      // Not while the store's breaker is open or the process sheds load: those answers skip the store.
      if (app.degrade.breakers.store.state() !== 'closed' || app.degrade.underPressure()) return;
      resolved = core.store.resolveUser(user);
      resolved.catch(() => {}); // an L2 hit leaves it unread; a failure surfaces where it is awaited
    };
    const a = await app.answers.afterL1(user, limit, version, () => recommendOrDegrade(core, app.resultCache, app.degrade, user, limit, { onStage, resolved }), readId);
    count(a);
    // Users banned since the bundle are hidden from every answer (other users' stored lists keep them until the next publish).
    return bodyOf(a, app.degrade.exclusions?.withoutHidden(a.result) ?? a.result);
  };

  app.get<{ Params: { id: string }; Querystring: { limit?: number; explain?: boolean } }>(
    '/v1/users/:id/recommendations',
    {
      schema: recommendationsRoute(config.maxLimit, config.defaultLimit),
      config: { scope: 'recommendations:read' },
      preValidation: (req, _reply, done) => {
        const raw = (req.query as Record<string, unknown>).limit;
        if (raw === undefined) return done();
        if (typeof raw !== 'string' || !DECIMAL.test(raw)) {
          return done(new PymkError('PYMK_BAD_PARAM', `querystring/limit must be a decimal integer between 1 and ${config.maxLimit}, got ${JSON.stringify(raw)}`));
        }
        if (Number(raw) > config.maxLimit) return done(new PymkError('PYMK_BAD_PARAM', `querystring/limit must be <= ${config.maxLimit} (the maximum), got ${raw}`));
        done();
      },
    },
    // Not an async function: an L1 hit is answered synchronously (no promise, no microtask); the other
    // answers are promises fastify awaits.
    (req, reply) => {
      const core = app.recommendCore();
      if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
      const limit = req.query.limit ?? config.defaultLimit;
      const user = req.params.id;
      if (req.query.explain) return explained(core, user, limit, req.principal);
      const version = core.store.version();
      const a = app.answers.fromL1(user, limit, version);
      if (!a) return computed(core, user, limit, version);
      count(a);
      const result = app.degrade.exclusions?.withoutHidden(a.result) ?? a.result;
      if (result !== a.result) return Promise.resolve(bodyOf(a, result));
      // An L1 hit's body is the same every time it is served: serialised once (by the route's own
      // serializer), then sent as is. Half of an L1 hit's CPU was this serialisation.
      let json = l1Bodies.get(a.result);
      if (json === undefined) l1Bodies.set(a.result, (json = reply.serialize(bodyOf(a, result)) as string));
      void reply.type('application/json; charset=utf-8').send(json);
      return undefined; // sent: a sync handler that returns the reply would have fastify send it again
    },
  );
};

/** An explained answer from a fallback (static ranking, stale cache) has no rule trace: say so. */
function withFallbackNote(r: RecommendResult, rules: RuleConfig): RecommendResult {
  if (r.explain) return r;
  const none = Object.fromEntries(EXCLUSION_REASONS.map((x) => [x, 0])) as Record<ExclusionReason, number>;
  return {
    ...r,
    explain: {
      path: r.source,
      scorer: 'none',
      candidates: r.recommendations.length,
      considered: 0,
      rules,
      excluded: none,
      cappedByCompany: 0,
      cappedBySchool: 0,
      removed: [],
      demoted: [],
      note: `answered by the ${r.source} fallback: the full path failed or is overloaded, so no rule trace exists`,
    },
  };
}
