/**
 * What the app's plugins share, as fastify decorators (set once by buildApp): the config, the current
 * recommend core, the L1 cache, the degradation state and the rate limiter's counters; per request, the
 * authenticated principal. Route options say who may call a route: `config.scope` (the scope a credential
 * must hold) or `config.public` (open to anyone: /healthz, /readyz, /metrics).
 */
import type { Config } from '../core/config.js';
import type { PymkError } from '../core/errors.js';
import type { ResultCache } from './cache.js';
import type { Answers } from './answers.js';
import type { DegradeState, ServingCore } from './degrade.js';
import type { Metrics } from './metrics.js';
import type { Principal, Scope } from './keys.js';

export interface LimitStats {
  /** Requests refused with 429. */
  limited: number;
  /** Limiter calls that failed (e.g. its Redis is down); those requests were served (fail open). */
  failures: number;
}

/**
 * Where POST /v1/events appends: the events component's EventLog fits (serve and events are peers, so the
 * CLI opens the log and hands it in).
 */
export interface EventSink {
  readonly url: string;
  /** Validates the whole batch (PYMK_BAD_EVENT), then resolves with log positions once the log acknowledged. */
  append(events: readonly unknown[]): Promise<string[]>;
}

/** Announcements of users whose answers changed (the events component's InvalidationBus fits). */
export interface InvalidationFeed {
  readonly url: string;
  /** `excluded`: (viewer, user never to show them; viewer EVERYONE (core/tables.ts) = everyone) pairs the announced events made. */
  subscribe(handler: (userIds: string[], excluded: [string, string][]) => void): Promise<() => Promise<void>>;
}

declare module 'fastify' {
  interface FastifyInstance {
    pymkConfig: Config;
    /** The current recommend dependencies; null while no bundle is loaded. */
    recommendCore: () => ServingCore | null;
    resultCache: ResultCache;
    degrade: DegradeState;
    limitStats: LimitStats;
    /** The Prometheus metrics (metrics.ts), served at GET /metrics. */
    metrics: Metrics;
    /** Where POST /v1/events appends; null when this server has no event log. */
    eventSink: EventSink | null;
    /** L1, then L2, then the recommend path, with single-flight and the invalidation guard (answers.ts). */
    answers: Answers;
    /** Whether the server announced its shutdown (readyz 503, answers close their connection). */
    leaving: () => boolean;
    /** Start announcing the shutdown; close() follows (the CLI waits shutdownDelayMs in between). */
    announceShutdown: () => void;
  }
  interface FastifyRequest {
    /** Who made the request; null when auth is off or the route is public. */
    principal: Principal | null;
    /** Why the credential was refused (raised after the rate limiter has counted the request). */
    authError: PymkError | null;
  }
  interface FastifyContextConfig {
    scope?: Scope;
    public?: boolean;
  }
}
