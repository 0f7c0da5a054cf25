/**
 * Configuration: defaults in one object, environment variables mapped by an explicit table, validated once
 * with zod (unknown keys rejected, cross-field checks), then frozen. The few process-level variables that
 * are not serving settings (PROCESS_ENV) are read here too, through envVar(): nothing else in src/ reads
 * process.env.
 */
import { z } from 'zod';
import { PymkError } from './errors.js';

/** The L2 answer cache's TTL range, seconds: the seed's 1 to 4 hours. */
export const L2_TTL_RANGE = [3600, 14_400] as const;

const ConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Where the serving data comes from: a bundle folder (memory store). */
    bundle: z.string().min(1).optional(),
    /** Online store URL: memory:// (embedded default). */
    store: z.string().min(1),
    /**
     * Development only: plain API keys from the environment, hashed at start-up and granted every scope.
     * Production keys live hashed in `keysFile` (`pymk keys create`). Auth is off while no key and no JWT
     * verifier is configured (local use).
     */
    apiKeys: z.array(z.string().min(8)),
    /** The JSON file of hashed API keys with their ids, names and scopes (`pymk keys create|list|revoke`). */
    keysFile: z.string().min(1).optional(),
    /** JWT bearer tokens: verified with a PEM public key (text or a file path), an HS256 secret, or a JWKS file/URL. */
    jwtPublicKey: z.string().min(1).optional(),
    jwtSecret: z.string().min(32).optional(),
    jwks: z.string().min(1).optional(),
    /** The `iss` and `aud` a token must carry; both required when JWTs are configured. */
    jwtIssuer: z.string().min(1).optional(),
    jwtAudience: z.string().min(1).optional(),
    /** Requests per second per client (API key id, JWT subject, else IP); 0 disables rate limiting. */
    rateLimitPerSecond: z.number().min(0),
    /** The token bucket's size: requests a client may make at once after being idle. */
    rateLimitBurst: z.number().int().min(1),
    /** Where the token buckets live: memory:// (per process) or redis://… (shared); default rateLimitStoreUrl(). */
    rateLimitStore: z.string().min(1).optional(),
    defaultLimit: z.number().int().min(1),
    maxLimit: z.number().int().min(1),
    /** Business rules, the same for live answers and the pipeline's static lists (recommend/rules.ts rulesOf). */
    maxPerCompany: z.number().int().min(1),
    maxPerSchool: z.number().int().min(1),
    /** When diversity caps leave fewer than K results, refill with capped candidates (soft rules). */
    diversityBackfill: z.boolean(),
    /** Ranking: 'auto' (the bundle's model if it has one, else the stored score), 'model', a model variant or a heuristic. */
    scorer: z.string().min(1),
    /** ANN candidates per user with no stored list (0 = no ANN in serving); the bundle must have an index. */
    annCandidates: z.number().int().min(0).max(10_000),
    /** Worker threads searching the ANN index. */
    annWorkers: z.number().int().min(1).max(64),
    /** Where the ANN index's recent tier keeps its log; default: '<bundle>.ann-state' beside the bundle. */
    annStateDir: z.string().min(1).optional(),
    /**
     * Whether this process writes the recent tier's log (its inserts survive a restart). One process per
     * state folder may: `pymk serve --workers N` gives the role to one of its processes.
     */
    annLogWriter: z.boolean(),
    /**
     * The request budget for the recommend path in ms (the seed's 150): the full path gets 70% of it
     * (counted as a store failure when it runs over), the fallback the rest (docs/serving.md#degradation).
     */
    deadlineMs: z.number().int().min(10).max(60_000),
    /** Concurrent full-path requests above which answers come from the cheap path (0 = no cap). */
    maxInflight: z.number().int().min(0),
    /** Event-loop delay in ms above which requests take the cheap path (load shedding; 0 = off). */
    maxEventLoopDelayMs: z.number().int().min(0),
    /** How long an open circuit breaker (store, ranker) waits before it lets one trial request through, ms. */
    breakerResetMs: z.number().int().min(100).max(600_000),
    /**
     * On SIGTERM, how long the server keeps answering while it announces its exit (/readyz 503, every answer
     * `connection: close`) before it stops listening and drains, ms: the load balancer's time to take it out.
     */
    shutdownDelayMs: z.number().int().min(0).max(600_000),
    /**
     * A server on Redis whose store lost its data (no pointer or meta) republishes the bundle on its disk,
     * one server of a fleet at a time (elected through the store); off: leave it to `pymk publish --verify`.
     */
    repairStore: z.boolean(),
    /** L1 in-process result cache. */
    l1Size: z.number().int().min(0),
    l1TtlSeconds: z.number().min(0),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    // Freshness (docs/events.md): the event log POST /v1/events appends to, the in-server invalidator, the bus.
    /** Event log URL: memory:// (embedded default), redis-streams://…, nats://…, kafka://…. */
    eventLog: z.string().min(1),
    /** Run the invalidator inside this server (consume the log, write the store, announce changed users). */
    invalidate: z.boolean(),
    /** Whether the invalidator recomputes both users' candidate lists after connection events (recommend/refresh.ts). */
    refresh: z.boolean(),
    /** Invalidation bus URL; default invalidationBusUrl(): in the process for memory://, Redis pub/sub beside a Redis store. */
    invalidationBus: z.string().min(1).optional(),
    /** L2 answer cache TTL in seconds: 0 = off, else 1 to 4 hours (the seed's range). */
    l2TtlSeconds: z.number().int().refine((s) => s === 0 || (s >= L2_TTL_RANGE[0] && s <= L2_TTL_RANGE[1]), {
      message: `expected 0 (off) or ${L2_TTL_RANGE[0]}..${L2_TTL_RANGE[1]} seconds (1 to 4 hours)`,
    }),
    /** Where L2 lives; default answerCacheUrl(): the store when it is Redis, else memory://. */
    l2Store: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.defaultLimit <= c.maxLimit, { message: 'defaultLimit must be <= maxLimit', path: ['defaultLimit'] })
  .refine((c) => [c.jwtPublicKey, c.jwtSecret, c.jwks].filter(Boolean).length <= 1, {
    message: 'set one of PYMK_JWT_PUBLIC_KEY, PYMK_JWT_SECRET, PYMK_JWKS',
    path: ['jwtPublicKey'],
  })
  .refine((c) => !(c.jwtPublicKey || c.jwtSecret || c.jwks) || (c.jwtIssuer && c.jwtAudience), {
    message: 'JWT verification needs PYMK_JWT_ISSUER and PYMK_JWT_AUDIENCE',
    path: ['jwtIssuer'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/**
 * Candidates kept per user: the 2-hop lists the pipeline stores, the ranker's training lists (the same
 * count by construction), live 2-hop answers and ANN candidates in serving. `pymk pipeline --candidates N`
 * builds a bundle with another count; serving then follows the bundle's.
 */
export const CANDIDATES_PER_USER = 200;

export const DEFAULTS: z.infer<typeof ConfigSchema> = {
  host: '127.0.0.1',
  port: 8080,
  store: 'memory://',
  apiKeys: [],
  rateLimitPerSecond: 0,
  rateLimitBurst: 50,
  defaultLimit: 10,
  maxLimit: 100,
  maxPerCompany: 5,
  maxPerSchool: 3,
  diversityBackfill: false,
  scorer: 'auto',
  annCandidates: CANDIDATES_PER_USER,
  annWorkers: 1,
  annLogWriter: true,
  deadlineMs: 150,
  maxInflight: 0,
  maxEventLoopDelayMs: 200,
  breakerResetMs: 2000,
  shutdownDelayMs: 2000,
  repairStore: true,
  l1Size: 10_000,
  l1TtlSeconds: 300,
  logLevel: 'info',
  eventLog: 'memory://',
  invalidate: false,
  refresh: true,
  l2TtlSeconds: 3600,
};

type Key = keyof typeof DEFAULTS | 'bundle' | 'annStateDir' | 'keysFile' | 'jwtPublicKey' | 'jwtSecret' | 'jwks' | 'jwtIssuer' | 'jwtAudience' | 'rateLimitStore' | 'invalidationBus' | 'l2Store';
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const num = (v: string): number => (v.trim() === '' ? NaN : Number(v));
const bool = (v: string): boolean | string => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v);

/** The explicit env → config table. */
export const ENV_MAP: Record<string, [Key, (v: string) => unknown]> = {
  PYMK_HOST: ['host', String],
  PYMK_PORT: ['port', num],
  PYMK_BUNDLE: ['bundle', String],
  PYMK_STORE: ['store', String],
  PYMK_API_KEYS: ['apiKeys', list],
  PYMK_KEYS_FILE: ['keysFile', String],
  PYMK_JWT_PUBLIC_KEY: ['jwtPublicKey', String],
  PYMK_JWT_SECRET: ['jwtSecret', String],
  PYMK_JWKS: ['jwks', String],
  PYMK_JWT_ISSUER: ['jwtIssuer', String],
  PYMK_JWT_AUDIENCE: ['jwtAudience', String],
  PYMK_RATE_LIMIT: ['rateLimitPerSecond', num],
  PYMK_RATE_BURST: ['rateLimitBurst', num],
  PYMK_RATE_LIMIT_STORE: ['rateLimitStore', String],
  PYMK_DEFAULT_LIMIT: ['defaultLimit', num],
  PYMK_MAX_LIMIT: ['maxLimit', num],
  PYMK_MAX_PER_COMPANY: ['maxPerCompany', num],
  PYMK_MAX_PER_SCHOOL: ['maxPerSchool', num],
  PYMK_DIVERSITY_BACKFILL: ['diversityBackfill', bool],
  PYMK_SCORER: ['scorer', String],
  PYMK_ANN_CANDIDATES: ['annCandidates', num],
  PYMK_ANN_WORKERS: ['annWorkers', num],
  PYMK_ANN_STATE_DIR: ['annStateDir', String],
  PYMK_ANN_LOG_WRITER: ['annLogWriter', bool],
  PYMK_DEADLINE_MS: ['deadlineMs', num],
  PYMK_MAX_INFLIGHT: ['maxInflight', num],
  PYMK_MAX_EVENT_LOOP_DELAY_MS: ['maxEventLoopDelayMs', num],
  PYMK_BREAKER_RESET_MS: ['breakerResetMs', num],
  PYMK_SHUTDOWN_DELAY_MS: ['shutdownDelayMs', num],
  PYMK_REPAIR_STORE: ['repairStore', bool],
  PYMK_L1_SIZE: ['l1Size', num],
  PYMK_L1_TTL: ['l1TtlSeconds', num],
  PYMK_LOG_LEVEL: ['logLevel', String],
  PYMK_EVENT_LOG: ['eventLog', String],
  PYMK_INVALIDATE: ['invalidate', bool],
  PYMK_REFRESH: ['refresh', bool],
  PYMK_INVALIDATION_BUS: ['invalidationBus', String],
  PYMK_L2_TTL: ['l2TtlSeconds', num],
  PYMK_L2_STORE: ['l2Store', String],
};

/** Builds the frozen config: defaults ← environment ← explicit overrides (CLI flags). */
export function loadConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, parse]] of Object.entries(ENV_MAP)) {
    const v = env[name];
    // Set but empty (`PYMK_KEYS_FILE=`) is unset: the default, as the shell idiom means.
    if (v !== undefined && v !== '') fromEnv[key] = parse(v);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = ConfigSchema.safeParse({ ...DEFAULTS, ...fromEnv, ...defined });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PymkError('PYMK_CONFIG', `invalid configuration: ${issues}`);
  }
  return Object.freeze({ ...parsed.data, apiKeys: Object.freeze([...parsed.data.apiKeys]) as string[] });
}

/**
 * Where changed users are announced: PYMK_INVALIDATION_BUS, else Redis pub/sub on the store's Redis (every
 * serving process sharing that store hears it), else the process's own bus (the embedded default).
 */
export function invalidationBusUrl(config: Config): string {
  if (config.invalidationBus) return config.invalidationBus;
  if (!/^redis:\/\//i.test(config.store)) return 'memory://pymk-invalidate';
  // The store's host, credentials and db; the channel is named after the store's key prefix.
  const u = new URL(config.store);
  const channel = `${u.searchParams.get('prefix') ?? 'pymk'}:invalidate`;
  u.search = '';
  u.searchParams.set('channel', channel);
  return u.toString();
}

/** Where the L2 answer cache lives: PYMK_L2_STORE, else the store when it is Redis, else memory://. */
export function answerCacheUrl(config: Config): string {
  if (config.l2Store) return config.l2Store;
  return /^redis(-cluster)?:\/\//i.test(config.store) ? config.store : 'memory://';
}

/** Where the rate limiter keeps its buckets: PYMK_RATE_LIMIT_STORE, else the store when it is Redis, else memory://. */
export function rateLimitStoreUrl(config: Config): string {
  if (config.rateLimitStore) return config.rateLimitStore;
  return /^redis(-cluster)?:\/\//i.test(config.store) ? config.store : 'memory://';
}

/** Environment variables that are not serving settings, each read through envVar() below. */
export const PROCESS_ENV = {
  PYMK_DATA_ROOT: 'folder of the shared public datasets (default: ../shared/data beside the repository)',
  NODE_TEST_CONTEXT: "set by node's test runner: progress output defaults to silent under it",
} as const;

export function envVar(name: keyof typeof PROCESS_ENV, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[name];
}
