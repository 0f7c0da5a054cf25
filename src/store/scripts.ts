/**
 * Loads the Redis Lua scripts from src/store/lua/*.lua. Each script starts with a header comment naming its
 * KEYS, ARGV and return value; the loader reads how many KEYS a script takes from that header (so a call
 * with the wrong number of keys fails here, not inside Redis) and expands `-- @include "file.lua"` lines. A
 * header line `KEYS repeat in groups of N` declares a script taking one or more groups of its N KEYS (e.g.
 * both users of a connection in one call on one node, one user per call on a cluster).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PymkError } from '../core/errors.js';

/** The scripts by the name the store calls them. */
export const SCRIPT_FILES = {
  removeCandidate: 'remove_candidate.lua',
  editExclusions: 'edit_exclusions.lua',
  setFlags: 'set_flags.lua',
  switchVersion: 'switch_version.lua',
  nextGeneration: 'next_generation.lua',
  claimLock: 'claim_lock.lua',
  tokenBucket: 'token_bucket.lua',
  answerGet: 'answer_get.lua',
  answerSet: 'answer_set.lua',
  claimId: 'claim_id.lua',
  setCandidates: 'set_candidates.lua',
  replaceValues: 'replace_values.lua',
} as const;
export type ScriptName = keyof typeof SCRIPT_FILES;

export interface Script {
  name: ScriptName;
  lua: string;
  /** KEYS of one group; a script whose header says `KEYS repeat in groups of N` takes any multiple of it. */
  numberOfKeys: number;
  repeatKeys: boolean;
}

/** The folder holding the .lua files: next to this module, or in the source tree when running from dist/. */
function luaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'lua'), join(here, '..', '..', '..', 'src', 'store', 'lua')]) {
    if (existsSync(join(dir, SCRIPT_FILES.removeCandidate))) return dir;
  }
  throw new PymkError('PYMK_CONFIG', `cannot find the store's Lua scripts (looked next to ${here} and in src/store/lua)`);
}

function expand(dir: string, file: string, depth = 0): string {
  if (depth > 4) throw new PymkError('PYMK_CONFIG', `Lua include nesting too deep at ${file}`);
  const text = readFileSync(join(dir, file), 'utf8');
  return text.replace(/^-- @include "([\w.-]+)"$/gm, (_m, inc: string) => expand(dir, inc, depth + 1));
}

/** The number of KEYS a script declares in its header: the highest KEYS[i] mentioned there. */
export function declaredKeys(lua: string, file: string): number {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(lua);
  if (!header || !/\bARGV\b|\bKEYS\b/.test(header[1]) || !/Returns/.test(header[1])) {
    throw new PymkError('PYMK_CONFIG', `${file}: a script must start with a --[[ ]] header naming KEYS, ARGV and Returns`);
  }
  let n = 0;
  for (const m of header[1].matchAll(/KEYS\[(\d+)\]/g)) n = Math.max(n, Number(m[1]));
  return n;
}

let cache: Record<ScriptName, Script> | null = null;

/** All scripts, read once. */
export function loadScripts(): Record<ScriptName, Script> {
  if (cache) return cache;
  const dir = luaDir();
  const out = {} as Record<ScriptName, Script>;
  for (const [name, file] of Object.entries(SCRIPT_FILES) as [ScriptName, string][]) {
    const raw = readFileSync(join(dir, file), 'utf8');
    const numberOfKeys = declaredKeys(raw, file);
    const repeat = /KEYS repeat in groups of (\d+)/.exec(raw);
    if (repeat && Number(repeat[1]) !== numberOfKeys) throw new PymkError('PYMK_CONFIG', `${file}: groups of ${repeat[1]} KEYS, but the header lists ${numberOfKeys}`);
    out[name] = { name, lua: expand(dir, file), numberOfKeys, repeatKeys: repeat !== null };
  }
  cache = out;
  return out;
}

/** Maps a script's error reply ('PYMK_… message') to a PymkError; anything else passes through. */
export function scriptError(err: unknown): unknown {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^(PYMK_[A-Z_]+) (.*?)(?: script: [0-9a-f]+.*)?$/s.exec(msg);
  if (!m) return err;
  if (m[1] === 'PYMK_STORE_INVALID') return new PymkError('PYMK_STORE_INVALID', m[2]);
  if (m[1] === 'PYMK_STORE_CONFLICT') return new PymkError('PYMK_BUNDLE_LOCKED', `another publish switched the store meanwhile: ${m[2]}`);
  return new PymkError('PYMK_INTERNAL', msg);
}
