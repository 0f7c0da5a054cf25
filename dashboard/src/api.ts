/**
 * The dashboard's calls to the pymk API, with the operator's credential (kept for this tab only, in
 * sessionStorage). Every answer's error body is { statusCode, code, error, message }.
 */
const KEY = 'pymk.dashboard.credential';

export function credential(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

export function setCredential(c: string): void {
  if (c) sessionStorage.setItem(KEY, c);
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const c = credential();
  if (c) headers.authorization = `Bearer ${c}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `the server cannot be reached (${(e as Error).message})`);
  }
  const json = (await res.json().catch(() => null)) as (T & { code?: string; message?: string }) | null;
  if (!res.ok) throw new ApiError(res.status, json?.code ?? 'HTTP', json?.message ?? `${method} ${path}: HTTP ${res.status}`);
  return json as T;
}

export type Reason =
  | { type: 'mutual_connections'; count: number; sample: string[] }
  | { type: 'same_company' | 'same_school' | 'same_location'; value: string }
  | { type: 'similar_to_you'; similarity: number };

export interface Card {
  id: string;
  score: number;
  reasons: Reason[];
  explain?: { rank: number; source: string; listScore: number; backfilled: boolean };
}

export interface Explained {
  user: string;
  version: string;
  source: string;
  cache: string;
  computedAt: string;
  recommendations: Card[];
  explain: {
    path: string;
    scorer: string;
    candidates: number;
    considered: number;
    rules: { maxPerCompany: number; maxPerSchool: number; backfill: boolean };
    excluded: Record<string, number>;
    cappedByCompany: number;
    cappedBySchool: number;
    removed: { id: string; rank: number; reason: string }[];
    demoted: { id: string; rank: number; rule: string; value: string | null; backfilled: boolean }[];
    note?: string;
  };
}

export interface Profile {
  id: string;
  version: string;
  profile: Record<string, string | number | null>;
  flags: { deactivated: boolean; banned: boolean };
  connections: number;
  connectionSample: string[];
  blocked: number;
  dismissed: number;
  candidates: number;
  candidateSource: string;
}

export const api = {
  findUser: (id: string) => call<{ query: string; version: string; users: Profile[] }>('GET', `/v1/admin/users?id=${encodeURIComponent(id)}`),
  explain: (id: string, limit: number) => call<Explained>('GET', `/v1/users/${encodeURIComponent(id)}/recommendations?limit=${limit}&explain=true`),
  status: () => call<Status>('GET', '/v1/admin/status'),
  runs: () => call<Runs>('GET', '/v1/admin/runs'),
  postEvent: (event: Record<string, unknown>) => call<{ accepted: number; ids: string[]; positions: string[] }>('POST', '/v1/events', event),
};

export interface Window {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  byClass: Record<string, number>;
  recommendations: { count: number; perSecond: number; p50: number | null; p95: number | null; p99: number | null };
  cacheHitRate: { l1: number | null; l2: number | null };
  answers: Record<string, number>;
  errors: Record<string, number>;
}

export interface RunSummary {
  name: string;
  status: string;
  version: string | null;
  startedAt: string | null;
  createdAt: string | null;
  totalMs: number;
  stages: { name: string; status: string; ms: number | null; reused: boolean; error?: string }[];
  evaluation: Record<string, number>;
  metrics: Record<string, Record<string, unknown>>;
  error?: string;
}

export interface Status {
  now: string;
  uptimeSeconds: number;
  version: string;
  store: string;
  scorer: string;
  bundle: { dir: string | null; manifest: RunSummary | null; onDisk: string | null };
  index: { present: boolean; version?: string; size?: number | null; tiers?: Record<string, number | boolean> | null; failures?: number; versionMismatches?: number; unconnectedOnly?: number };
  caches: { l1: { hits: number; misses: number; entries: number; hitRate: number | null }; l2: { configured: boolean; hits: number; misses: number; hitRate: number | null } };
  events: { log: string | null; accepted: number; lag: number | null; deadLetters: number | null; applied: number | null; invalidations: number };
  requests: { total: number; byClass: Record<string, number>; answers: Record<string, number>; errors: Record<string, number>; window: Window; series: { t: number; requestsPerSecond: number; p95: number | null }[] };
  fallbacks: Record<string, number | string>;
}

export interface Runs {
  root: string | null;
  served: string | null;
  runs: RunSummary[];
}
