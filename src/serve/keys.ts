/**
 * API keys, hashed at rest. `pymk keys create` makes a key `pymk_<id>_<secret>` (the secret is 32 random
 * bytes, base64url), prints it once, and stores only its SHA-256 with the key's id, name, scopes and
 * creation time in a JSON keys file (PYMK_KEYS_FILE). The server looks a presented key up by its id and
 * compares hashes in constant time (crypto.timingSafeEqual).
 *
 * Why a plain SHA-256 and not bcrypt/scrypt: those slow hashes exist to make guessing low-entropy human
 * passwords expensive. A key here carries 256 random bits, so no guess list exists; reversing SHA-256 of
 * it is infeasible however fast the hash, and a fast hash keeps per-request verification cheap.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { FailureTracker } from '../core/failures.js';
import { PymkError } from '../core/errors.js';

/** Every scope a credential can hold; each route names the one it needs. */
export const SCOPES = ['recommendations:read', 'events:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const KeyRecord = z
  .object({
    id: z.string().regex(/^[0-9a-f]{12}$/),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    /** 'sha256:' + hex digest of the whole key string. */
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    createdAt: z.string(),
    revokedAt: z.string().optional(),
  })
  .strict();
const KeysFile = z.object({ version: z.literal(1), keys: z.array(KeyRecord) }).strict();

export type KeyRecord = z.infer<typeof KeyRecord>;
/** What `pymk keys list` shows: everything but the hash. */
export type KeyInfo = Omit<KeyRecord, 'hash'>;

/** Who made a request: the principal's id keys its rate-limit bucket. */
export interface Principal {
  /** 'key:<id>', 'jwt:<sub>' or 'dev:<n>' (a PYMK_API_KEYS key). */
  id: string;
  scopes: ReadonlySet<string>;
}

const KEY_FORMAT = /^pymk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function parseScopes(list: string): Scope[] {
  const scopes = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (scopes.length === 0) throw new PymkError('PYMK_BAD_PARAM', `--scopes needs at least one of: ${SCOPES.join(', ')}`);
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new PymkError('PYMK_BAD_PARAM', `unknown scope '${s}'; expected one of: ${SCOPES.join(', ')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

export async function readKeysFile(path: string): Promise<KeyRecord[]> {
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new PymkError('PYMK_CONFIG', `keys file ${path} is not JSON: ${(e as Error).message}`);
  }
  const parsed = KeysFile.safeParse(raw);
  if (!parsed.success) throw new PymkError('PYMK_CONFIG', `keys file ${path} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.keys;
}

/** Writes the file atomically (temp file + rename), readable by its owner only. */
async function writeKeysFile(path: string, keys: KeyRecord[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ version: 1, keys }, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** Creates a key, stores its hash, and returns the key itself: the only time it is ever seen. */
export async function createKey(path: string, scopes: Scope[], name = ''): Promise<{ key: string; info: KeyInfo }> {
  const keys = await readKeysFile(path);
  let id = randomBytes(6).toString('hex');
  while (keys.some((k) => k.id === id)) id = randomBytes(6).toString('hex');
  const key = `pymk_${id}_${randomBytes(32).toString('base64url')}`;
  const record: KeyRecord = { id, name, scopes, hash: `sha256:${hashKey(key).toString('hex')}`, createdAt: new Date().toISOString() };
  await writeKeysFile(path, [...keys, record]);
  return { key, info: infoOf(record) };
}

export async function listKeys(path: string): Promise<KeyInfo[]> {
  return (await readKeysFile(path)).map(infoOf);
}

/** Marks a key revoked (the record stays, for the audit trail); fails for an unknown id. */
export async function revokeKey(path: string, id: string): Promise<KeyInfo> {
  const keys = await readKeysFile(path);
  const k = keys.find((r) => r.id === id);
  if (!k) throw new PymkError('PYMK_NOT_FOUND', `no key with id '${id}' in ${path}`);
  k.revokedAt ??= new Date().toISOString();
  await writeKeysFile(path, keys);
  return infoOf(k);
}

function infoOf(r: KeyRecord): KeyInfo {
  const { hash: _hash, ...info } = r;
  return info;
}

/**
 * The keys the server accepts: the keys file's (re-read when it changes, checked at most once per
 * `recheckMs`, so a revocation takes effect without a restart) and the development keys of PYMK_API_KEYS,
 * hashed here so no plaintext key is kept.
 */
export class KeyRing {
  private byId = new Map<string, { hash: Buffer; scopes: Set<string>; revoked: boolean }>();
  private readonly devKeys: { hash: Buffer; id: string }[];
  private seen = '';
  private checkedAt = 0;

  constructor(
    private readonly path: string | undefined,
    devKeys: readonly string[],
    private readonly recheckMs = 1000,
    /** Failed re-reads of the keys file (the last good ring keeps serving): the first and the recovery are reported. */
    readonly rereads: FailureTracker = new FailureTracker(`re-reading the keys file ${path ?? ''}`),
  ) {
    this.devKeys = devKeys.map((k, i) => ({ hash: hashKey(k), id: `dev:${i}` }));
  }

  /** Whether any key at all is configured (auth is off when none is and no JWT verifier is). */
  get configured(): boolean {
    return this.path !== undefined || this.devKeys.length > 0;
  }

  /** Reads the keys file if it changed. The file must exist when the server starts (PYMK_CONFIG otherwise). */
  async reload(force = false): Promise<void> {
    if (!this.path) return;
    this.checkedAt = Date.now();
    const st = await stat(this.path).catch(() => null);
    if (!st) {
      if (this.seen === '') throw new PymkError('PYMK_CONFIG', `keys file ${this.path} does not exist (create keys with: pymk keys create --file ${this.path} --scopes …)`);
      return; // deleted while serving: keep the last good ring rather than lock everybody out or let everybody in
    }
    // Writes replace the file (rename), so a change shows in the inode as well as the mtime and size.
    const version = `${st.ino}:${st.mtimeMs}:${st.size}`;
    if (!force && version === this.seen) return;
    const keys = await readKeysFile(this.path);
    this.byId = new Map(keys.map((k) => [k.id, { hash: Buffer.from(k.hash.slice(7), 'hex'), scopes: new Set(k.scopes), revoked: k.revokedAt !== undefined }]));
    this.seen = version;
  }

  /** Re-reads the file when `recheckMs` has passed since the last look; errors keep the last good ring. */
  async refresh(): Promise<void> {
    if (!this.path || Date.now() - this.checkedAt < this.recheckMs) return;
    try {
      await this.reload();
      this.rereads.ok();
    } catch (e) {
      this.rereads.fail(e, 'the keys read before keep serving');
    }
  }

  /** The principal a presented key belongs to, or null (unknown, revoked or malformed). */
  verify(key: string): Principal | null {
    const presented = hashKey(key);
    const m = KEY_FORMAT.exec(key);
    if (m) {
      const rec = this.byId.get(m[1]);
      if (rec && timingSafeEqual(presented, rec.hash) && !rec.revoked) return { id: `key:${m[1]}`, scopes: rec.scopes };
    }
    // Development keys: compare against every one (no early exit), each in constant time.
    let found: string | null = null;
    for (const d of this.devKeys) if (timingSafeEqual(presented, d.hash) && found === null) found = d.id;
    return found ? { id: found, scopes: new Set(SCOPES) } : null;
  }
}
