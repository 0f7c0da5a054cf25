/**
 * `dataset.json`: names a dataset's files and their options (docs/formats.md). Validated once with zod
 * (unknown keys rejected); without the file, the default names are looked up in the folder.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { PymkError } from '../../core/errors.js';
import { OPTIONAL_ID_CHARS, type IdGrammarOptions } from './idGrammar.js';
import type { LineInput } from './lines.js';
import { rotatedFiles } from './rotated.js';

const Column = z.number().int().min(0);

const ManifestSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  connections: z
    .strictObject({
      path: z.string().min(1),
      directed: z.boolean().optional(),
      delimiter: z.enum([',', '\t', ' ']).optional(),
      columns: z.strictObject({ src: Column, dst: Column, ts: Column.optional() }).optional(),
    })
    .optional(),
  profiles: z.strictObject({ path: z.string().min(1), format: z.enum(['jsonl', 'csv']).optional() }).optional(),
  events: z.strictObject({ path: z.string().min(1) }).optional(),
  ids: z
    .strictObject({
      maxBytes: z.number().int().min(1).max(65_536).optional(),
      allow: z.string().regex(/^[ ,"']*$/, `may only list characters of ${JSON.stringify(OPTIONAL_ID_CHARS)}`).optional(),
      pattern: z
        .string()
        .min(1)
        .refine((p) => compiles(p), 'must be a valid JavaScript regular expression')
        .optional(),
    })
    .optional(),
  unknownUsers: z.enum(['keep', 'reject']).optional(),
});

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * A dataset's resolved inputs and options. A folder's plan names files; a database source (src/data/sources)
 * builds the same plan from streams, so both are read by the same readers (loadPlan in load.ts).
 */
export interface DatasetPlan {
  name: string;
  directed: boolean;
  connections: { path: LineInput; delimiter?: ',' | '\t' | ' '; columns?: { src: number; dst: number; ts?: number } };
  profiles?: { path: LineInput; format?: 'jsonl' | 'csv' };
  /** One input, or several read in order (rotated log files, oldest first). */
  events?: { path: LineInput | LineInput[] };
  /** The user-id grammar (default: IdGrammar's). */
  ids: IdGrammarOptions;
  /** Rows naming a user absent from a present profile file: kept and flagged (default) or rejected. */
  unknownUsers: 'keep' | 'reject';
}

export const MANIFEST_FILE = 'dataset.json';
/** Looked up in this order when dataset.json does not name the file. */
export const DEFAULT_NAMES = {
  connections: ['connections.csv', 'connections.tsv', 'connections.txt', 'connections.csv.gz'],
  profiles: ['users.jsonl', 'users.csv', 'users.jsonl.gz'],
  events: ['events.jsonl', 'events.jsonl.gz', 'events'],
} as const;

/**
 * A dataset that is one edge-list file: no profiles, no events, named after the file. CSV, TSV or
 * whitespace-separated, header optional (the edge-list reader detects both).
 */
export function planConnections(path: string): DatasetPlan {
  if (!existsSync(path)) throw new PymkError('PYMK_BAD_INPUT', `${path}: connections file not found`, { path });
  if (!statSync(path).isFile()) throw new PymkError('PYMK_BAD_INPUT', `${path}: expected an edge-list file, got a folder (use --data for a dataset folder)`, { path });
  return {
    name: basename(path, extname(path)),
    directed: false,
    connections: { path },
    ids: {},
    unknownUsers: 'keep',
  };
}

/**
 * Reads `dir/dataset.json` (if any) and resolves every file; a missing required file is PYMK_BAD_INPUT.
 * A path that is a file is read as a bare edge list (planConnections).
 */
export async function planDataset(dir: string): Promise<DatasetPlan> {
  if (!existsSync(dir)) throw new PymkError('PYMK_BAD_INPUT', `${dir}: dataset folder not found`, { path: dir });
  if (statSync(dir).isFile()) return planConnections(dir);
  const mpath = join(dir, MANIFEST_FILE);
  const m = existsSync(mpath) ? await readManifest(mpath) : {};
  const pick = (names: readonly string[]): string | undefined => names.map((n) => join(dir, n)).find((p) => existsSync(p));
  const named = (rel: string, what: string): string => {
    const p = join(dir, rel);
    if (!existsSync(p)) throw new PymkError('PYMK_BAD_INPUT', `${p}: ${what} file named in ${mpath} not found`, { path: p });
    return p;
  };

  let connections: string;
  if (m.connections) connections = named(m.connections.path, 'connections');
  else {
    const found = pick(DEFAULT_NAMES.connections);
    if (found === undefined) {
      throw new PymkError(
        'PYMK_BAD_INPUT',
        `${join(dir, 'connections.csv')}: required connections file not found (looked for ${DEFAULT_NAMES.connections.join(', ')}` +
          ` in ${dir}, or a dataset.json naming it)`,
        { path: join(dir, 'connections.csv') },
      );
    }
    connections = found;
  }
  const profiles = m.profiles ? named(m.profiles.path, 'profiles') : pick(DEFAULT_NAMES.profiles);
  const events = m.events ? named(m.events.path, 'events') : pick(DEFAULT_NAMES.events);
  const plan: DatasetPlan = {
    name: m.name ?? basename(resolve(dir)),
    directed: m.connections?.directed ?? false,
    connections: { path: connections, delimiter: m.connections?.delimiter, columns: m.connections?.columns },
    ids: m.ids ?? {},
    unknownUsers: m.unknownUsers ?? 'keep',
  };
  if (profiles !== undefined) plan.profiles = { path: profiles, format: m.profiles?.format };
  if (events !== undefined) plan.events = { path: statSync(events).isDirectory() ? (await rotatedFiles(events)).files : events };
  return plan;
}

async function readManifest(path: string): Promise<Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new PymkError('PYMK_BAD_INPUT', `${path}: expected a JSON object: ${(e as Error).message}`, { path });
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new PymkError('PYMK_BAD_INPUT', `${path}: ${issues.join('; ')}`, { path, issues });
  }
  return r.data;
}
