/**
 * Pipeline runs for the dashboard: every bundle folder in the bundle root (the folder holding the served
 * bundle; staging folders `<out>.partial` of interrupted or failed runs included) with its manifest's stage
 * times and metrics, the evaluation metrics picked out so runs can be compared side by side.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readManifest } from '../bundle/bundle.js';
import type { Manifest } from '../bundle/manifest.js';

/** Most runs listed (the newest). */
export const MAX_RUNS = 50;

/** Metric names that measure quality (evaluation), as opposed to counts and timings. */
const EVALUATION = /(recall|ndcg|auc|precision|mrr|hit|logloss|map)(@?\d+)?$/i;

export interface RunSummary {
  /** The folder's name in the bundle root. */
  name: string;
  status: Manifest['status'] | 'unreadable';
  version: string | null;
  startedAt: string | null;
  createdAt: string | null;
  /** Sum of the stages' times, ms. */
  totalMs: number;
  stages: { name: string; status: string; ms: number | null; reused: boolean; error?: string }[];
  /** Quality metrics by `stage.path` (e.g. `rank.valid.mlp.recall20`, `ann.recallAt10`). */
  evaluation: Record<string, number>;
  /** Every stage's metrics as the manifest records them. */
  metrics: Record<string, Record<string, unknown>>;
  /** Why the manifest could not be read. */
  error?: string;
}

/** The folder runs are listed from: the served bundle's parent. */
export function bundleRoot(bundle: string): string {
  return dirname(resolve(bundle));
}

export function summarize(name: string, m: Manifest): RunSummary {
  const evaluation: Record<string, number> = {};
  for (const s of m.stages) flatten(s.metrics, s.name, evaluation, 0);
  return {
    name,
    status: m.status,
    version: m.version,
    startedAt: m.startedAt,
    createdAt: m.createdAt,
    totalMs: Math.round(m.stages.reduce((t, s) => t + (s.ms ?? 0), 0)),
    stages: m.stages.map((s) => ({ name: s.name, status: s.status, ms: s.ms === null ? null : Math.round(s.ms), reused: s.reused, ...(s.error ? { error: s.error } : {}) })),
    evaluation,
    metrics: Object.fromEntries(m.stages.map((s) => [s.name, s.metrics])),
  };
}

/** Numeric leaves whose name reads as a quality metric, keyed by their path. */
function flatten(x: unknown, path: string, out: Record<string, number>, depth: number): void {
  if (depth > 4 || x === null || typeof x !== 'object') return;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    const p = `${path}.${k}`;
    if (typeof v === 'number' && Number.isFinite(v) && EVALUATION.test(k)) out[p] = v;
    else flatten(v, p, out, depth + 1);
  }
}

/** The runs in `root`, newest first: folders with a manifest.json (one that cannot be parsed is listed as unreadable). */
export async function listRuns(root: string): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const runs = await Promise.all(
    names.map(async (name): Promise<RunSummary | null> => {
      try {
        const m = await readManifest(join(root, name));
        return m ? summarize(name, m) : null;
      } catch (e) {
        return { name, status: 'unreadable', version: null, startedAt: null, createdAt: null, totalMs: 0, stages: [], evaluation: {}, metrics: {}, error: (e as Error).message };
      }
    }),
  );
  return runs
    .filter((r): r is RunSummary => r !== null)
    .sort((a, b) => (b.createdAt ?? b.startedAt ?? '').localeCompare(a.createdAt ?? a.startedAt ?? ''))
    .slice(0, MAX_RUNS);
}

/** The summary of the served bundle's folder. */
export async function servedRun(bundle: string): Promise<RunSummary | null> {
  try {
    const m = await readManifest(bundle);
    return m ? summarize(basename(resolve(bundle)), m) : null;
  } catch {
    return null;
  }
}
