/** JSON schemas for every route's request and response; OpenAPI is generated from them. */
import { EXCLUSION_REASONS } from '../recommend/rules.js';
import { ANSWER_PATHS, DEGRADE_REASONS } from '../recommend/recommend.js';

export const errorBody = {
  description: 'An error: { statusCode, code, error, message } with a stable PYMK_* code (docs/serving.md)',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/**
 * Bounds the server enforces, declared in the document from the same constants. Body limits (fastify's
 * `bodyLimit`, 413 above it) have no JSON Schema keyword: each route with a body states its limit in
 * `x-body-limit-bytes`, in the request body's description, and in its 413 response.
 */
/** Longest path parameter in UTF-16 code units (the router's maxParamLength; longer is 414 before validation). */
export const MAX_ID_LENGTH = 256;
/** Body limit of the admin routes. */
export const ADMIN_BODY_LIMIT = 64 * 1024;
/** Body limit of POST /v1/events (fastify's default, made explicit). */
export const EVENTS_BODY_LIMIT = 1024 * 1024;

/** A user id in a path: what the router and the schema accept. No pattern is enforced: an id the bundle does not hold is 404. */
const pathId = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  description: `the external user id, percent-encoded; at most ${MAX_ID_LENGTH} characters once decoded (UTF-16 code units: a character outside the BMP counts twice), longer is 414 PYMK_URI_TOO_LONG; an id the served bundle does not hold is 404 PYMK_USER_NOT_FOUND`,
} as const;

/** The 429 of a rate-limited route (every route but the open ones, when PYMK_RATE_LIMIT > 0), with its headers. */
const rateLimited = {
  ...errorBody,
  description: 'PYMK_RATE_LIMITED: the client\'s token bucket is empty (only when PYMK_RATE_LIMIT > 0; docs/serving.md#rate-limits)',
  headers: {
    'retry-after': { type: 'integer', minimum: 1, description: 'seconds until a token is there' },
    'ratelimit-limit': { type: 'integer', description: 'the bucket size (PYMK_RATE_BURST)' },
    'ratelimit-remaining': { type: 'integer', description: 'whole tokens left' },
    'ratelimit-reset': { type: 'integer', description: 'seconds until the bucket is full again' },
  },
} as const;

/** The 413 of a route whose body may be at most `bytes`. */
const tooLarge = (bytes: number) => ({ ...errorBody, description: `PYMK_PAYLOAD_TOO_LARGE: a body above ${bytes} bytes` }) as const;

/** The error answers of a route that needs a credential: 429 declared with its headers, the rest by class. */
export const guardedErrors = { 429: rateLimited, '4xx': errorBody, '5xx': errorBody } as const;

const reason = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['mutual_connections', 'same_company', 'same_school', 'same_location', 'similar_to_you'] },
    count: { type: 'integer' },
    sample: { type: 'array', items: { type: 'string' } },
    value: { type: 'string' },
    similarity: { type: 'number' },
  },
} as const;

const EXCLUSIONS = EXCLUSION_REASONS;

const cardExplanation = {
  type: 'object',
  description: 'with explain=true: where the card came from and where it ranked',
  required: ['rank', 'source', 'listScore', 'backfilled'],
  properties: {
    rank: { type: 'integer', description: '1-based position in the scored order, before the rules' },
    source: { type: 'string', enum: ['2-hop', 'ann', '2-hop+ann', 'profile'], description: 'the candidate source' },
    listScore: { type: 'number', description: "the candidate list's own score (e.g. Adamic-Adar; similarity for ANN)" },
    backfilled: { type: 'boolean', description: 'held back by a diversity cap, then brought back by backfill' },
  },
} as const;

const explanation = {
  type: 'object',
  description: 'with explain=true: the path, the scorer, and what the business rules removed or demoted and why',
  required: ['path', 'scorer', 'candidates', 'considered', 'rules', 'excluded', 'cappedByCompany', 'cappedBySchool', 'removed', 'demoted'],
  properties: {
    path: { type: 'string', description: 'stored, live-2hop, ann, profile, none, static or stale-cache' },
    scorer: { type: 'string' },
    candidates: { type: 'integer' },
    considered: { type: 'integer', description: 'candidates the rules looked at before the page was full' },
    rules: {
      type: 'object',
      required: ['maxPerCompany', 'maxPerSchool', 'backfill'],
      properties: { maxPerCompany: { type: 'integer' }, maxPerSchool: { type: 'integer' }, backfill: { type: 'boolean' } },
    },
    excluded: { type: 'object', required: [...EXCLUSIONS], properties: Object.fromEntries(EXCLUSIONS.map((x) => [x, { type: 'integer' }])) },
    cappedByCompany: { type: 'integer' },
    cappedBySchool: { type: 'integer' },
    removed: {
      type: 'array',
      description: 'candidates the hard rules removed, best-ranked first (at most 100)',
      items: {
        type: 'object',
        required: ['id', 'rank', 'reason'],
        properties: { id: { type: 'string' }, rank: { type: 'integer' }, reason: { type: 'string', enum: [...EXCLUSIONS] } },
      },
    },
    demoted: {
      type: 'array',
      description: 'candidates held back by a diversity cap (at most 100)',
      items: {
        type: 'object',
        required: ['id', 'rank', 'rule', 'value', 'backfilled'],
        properties: {
          id: { type: 'string' },
          rank: { type: 'integer' },
          rule: { type: 'string', enum: ['company', 'school'] },
          value: { type: ['string', 'null'] },
          backfilled: { type: 'boolean' },
        },
      },
    },
    note: { type: 'string' },
  },
} as const;

/** The recommendations route; `limit`'s maximum and default are the configured ones, so the OpenAPI document declares them. */
export const recommendationsRoute = (maxLimit: number, defaultLimit: number) =>
  ({
    summary: "A user's recommended people, ranked, with the reasons for each",
    operationId: 'getRecommendations',
    tags: ['recommendations'],
    security: [{ bearer: [] }, { apiKey: [] }],
    params: {
      type: 'object',
      required: ['id'],
      properties: { id: pathId },
    },
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: maxLimit,
          default: defaultLimit,
          description: `how many people to answer: 1 to 9 decimal digits, nothing else (\`0x10\`, \`1e2\`, \`+5\`, \`5.0\` are 400 PYMK_BAD_PARAM), between 1 and ${maxLimit} (PYMK_MAX_LIMIT); default ${defaultLimit} (PYMK_DEFAULT_LIMIT)`,
        },
        explain: {
          type: 'boolean',
          description:
            "true: also say where each card came from and what the business rules removed or demoted (scope admin as well when auth is on); computed on the same path, never cached",
        },
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['user', 'version', 'source', 'recommendations'],
        properties: {
          user: { type: 'string' },
          version: { type: 'string' },
          source: { type: 'string' },
          path: { type: 'string', enum: [...ANSWER_PATHS], description: 'which path served the answer: full, or a fallback (docs/serving.md#degradation)' },
          degraded: {
            type: 'string',
            enum: [...DEGRADE_REASONS],
            description: 'why the answer is not from the full path (absent when it is)',
          },
          cached: { type: 'boolean' },
          cache: { type: 'string', enum: ['l1', 'l2', 'computed'], description: 'which layer answered' },
          computedAt: { type: 'string', format: 'date-time', description: 'when the answer was computed' },
          recommendations: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'score', 'reasons'],
              properties: { id: { type: 'string' }, score: { type: 'number' }, reasons: { type: 'array', items: reason }, explain: cardExplanation },
            },
          },
          explain: explanation,
        },
      },
      ...guardedErrors,
    },
  }) as const;

export const healthRoute = {
  tags: ['health'],
  security: [],
  response: {
    200: {
      description: 'Up (and, for readyz, ready: answering, fully or through fallbacks)',
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok', 'ready', 'degraded'] },
        version: { type: 'string' },
        degraded: { type: 'array', items: { type: 'string' }, description: 'readyz: why answers may come from a fallback (empty when ready)' },
      },
    },
    '4xx': errorBody,
    503: errorBody,
  },
} as const;

export const evictRoute = {
  summary: "Drops users' answers from this process's L1 cache",
  operationId: 'evictCachedAnswers',
  tags: ['admin'],
  security: [{ bearer: [] }, { apiKey: [] }],
  'x-body-limit-bytes': ADMIN_BODY_LIMIT,
  body: {
    type: 'object',
    description: `the external ids of the users to evict (a JSON body of at most ${ADMIN_BODY_LIMIT} bytes)`,
    required: ['users'],
    additionalProperties: false,
    properties: { users: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } } },
  },
  response: {
    200: { description: 'How many users had cached answers', type: 'object', required: ['evicted'], properties: { evicted: { type: 'integer' } } },
    413: tooLarge(ADMIN_BODY_LIMIT),
    ...guardedErrors,
  },
} as const;

export const metricsRoute = {
  summary: 'Prometheus metrics of this process (text exposition format)',
  operationId: 'getMetrics',
  tags: ['health'],
  security: [],
  produces: ['text/plain'],
  response: {
    200: { description: 'The Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } },
    '4xx': errorBody,
  },
} as const;

/** Most events one POST /v1/events may carry. */
export const MAX_EVENTS_PER_POST = 1000;

export const eventsRoute = {
  summary: 'Appends events (connections, blocks, dismissals, new users, …) to the event log',
  description:
    'One event, or {"events": [...]} with 1..1000 events, each in the v1 event schema (docs/events.md). The whole batch is validated first: one bad event gives 400 PYMK_BAD_EVENT naming the field, and nothing is appended. 202 comes after the log acknowledged the write.',
  operationId: 'postEvents',
  tags: ['events'],
  security: [{ bearer: [] }, { apiKey: [] }],
  'x-body-limit-bytes': EVENTS_BODY_LIMIT,
  body: { type: 'object', description: `a v1 event, or {"events": [v1 events]} with 1 to ${MAX_EVENTS_PER_POST} of them (a JSON body of at most ${EVENTS_BODY_LIMIT} bytes)` },
  response: {
    202: {
      description: 'Appended: the event ids in order, and their positions in the log',
      type: 'object',
      required: ['accepted', 'ids', 'positions'],
      properties: { accepted: { type: 'integer' }, ids: { type: 'array', items: { type: 'string' } }, positions: { type: 'array', items: { type: 'string' } } },
    },
    413: tooLarge(EVENTS_BODY_LIMIT),
    ...guardedErrors,
  },
} as const;

/** An admin view's answer: a JSON object described in docs/dashboard.md (its fields are many and read by the dashboard). */
const adminView = (description: string) =>
  ({
    200: { description, type: 'object', additionalProperties: true },
    ...guardedErrors,
  }) as const;

export const adminUserRoute = {
  summary: "A user's profile fields, flags and connection count (the dashboard's user view)",
  operationId: 'getAdminUser',
  tags: ['admin'],
  security: [{ bearer: [] }, { apiKey: [] }],
  params: { type: 'object', required: ['id'], properties: { id: pathId } },
  response: adminView('The profile: { id, version, profile, flags, connections, connectionSample, blocked, dismissed, candidates, candidateSource }'),
} as const;

export const adminUserSearchRoute = {
  summary: 'Looks a user up by exact id: the profile in a list of one, or an empty list for an unknown id',
  operationId: 'searchAdminUsers',
  tags: ['admin'],
  security: [{ bearer: [] }, { apiKey: [] }],
  querystring: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, description: `the external user id, at most ${MAX_ID_LENGTH} characters` } },
  },
  response: adminView('{ query, version, users: [profile] } (no match: users is empty)'),
} as const;

export const adminStatusRoute = {
  summary: "This process's status: bundle and manifest, index, caches, events, request rates and latency over the last minutes, fallbacks",
  operationId: 'getAdminStatus',
  tags: ['admin'],
  security: [{ bearer: [] }, { apiKey: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { window: { type: 'integer', minimum: 10, maximum: 600, description: 'seconds the rates and percentiles cover (default 300)' } },
  },
  response: adminView('The status (docs/dashboard.md, "GET /v1/admin/status")'),
} as const;

export const adminRunsRoute = {
  summary: 'Pipeline runs: the bundles in the bundle root with their stage times and evaluation metrics',
  operationId: 'getAdminRuns',
  tags: ['admin'],
  security: [{ bearer: [] }, { apiKey: [] }],
  response: adminView('{ root, served, runs: [ { name, status, version, createdAt, totalMs, stages, evaluation, metrics } ] }'),
} as const;
