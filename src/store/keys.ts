/**
 * The Redis key layout. Every value of a published bundle lives under a generation prefix
 * `<prefix>:g<gen>:`; the pointer key `<prefix>:current` names the generation readers use, so switching
 * versions is one SET. Hash tags decide the cluster slot:
 *
 * - `{<uid>}`: a user's own rows (candidate list, the profile pack of its candidates, connections, blocks,
 *   dismissals, static list) share a slot, so everything fetchRankingInputs needs is one MGET on one node
 *   (and a Lua script may touch them together).
 * - `{p<b>.<j>}`: per-user rows read in batches for *other* users (profile rows, external ids, embeddings)
 *   are spread over `buckets` tags, b = uid mod buckets. A batch of 1,000 users then falls into at most
 *   `buckets` slots: one MGET per slot, pipelined per node, one parallel round over the nodes. Each bucket's
 *   tag is chosen (the smallest j) so that bucket b hashes into the b-th of `buckets` equal slot ranges:
 *   the buckets are spread evenly over any cluster whose nodes own contiguous slot ranges of equal size.
 * - ids (external id → dense id) and bookkeeping keys are single-key reads and carry no tag.
 */
import { PymkError } from '../core/errors.js';

/** Profile-bucket tags a publish spreads batch-read rows over (stored in the generation's meta). */
export const DEFAULT_BUCKETS = 64;
export const MAX_BUCKETS = 1024;

export class KeySpace {
  constructor(
    /** Key prefix shared by every generation, e.g. `pymk` or a test's unique prefix. */
    readonly prefix: string,
  ) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
      throw new PymkError('PYMK_CONFIG', `store key prefix '${prefix}' must be 1-64 characters of [A-Za-z0-9_.:-] (no hash-tag braces)`);
    }
  }

  /** The generation readers use (decimal string). */
  pointer(): string {
    return `${this.prefix}:current`;
  }

  /** INCR counter that hands out generation numbers. */
  genCounter(): string {
    return `${this.prefix}:gen`;
  }

  /** The lock a serving fleet elects its store repairer with (serve/server.ts). */
  repairLock(): string {
    return `${this.prefix}:repair`;
  }

  /** Progress record of a publish of `version` (resumability). */
  publishing(version: string): string {
    return `${this.prefix}:publish:${version}`;
  }

  /** The glob that matches every key of one generation (for SCAN). */
  genPattern(gen: number): string {
    return `${this.prefix}:g${gen}:*`;
  }

  /** Typed key builders for one generation. */
  gen(gen: number, buckets: number): GenKeys {
    return new GenKeys(`${this.prefix}:g${gen}:`, buckets);
  }
}

/** The keys of one generation. */
export class GenKeys {
  private readonly tags: string[];

  constructor(
    readonly base: string,
    readonly buckets: number,
  ) {
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
      throw new PymkError('PYMK_CONFIG', `profile buckets must be an integer in 1..${MAX_BUCKETS}, got ${buckets}`);
    }
    this.tags = bucketTags(buckets).map((t) => `${base}{${t}}`);
  }

  /** Small JSON (meta.ts); written last by a publish, so its presence means the generation is complete. */
  meta(): string {
    return `${this.base}meta`;
  }

  /** JSON: the categorical profile fields' dictionaries (code → value). */
  dicts(): string {
    return `${this.base}dicts`;
  }

  /** INCR counter of the users created online in this generation (their ids follow the bundle's). */
  createdCounter(): string {
    return `${this.base}created`;
  }

  /** External id → dense id (decimal string). */
  id(external: string): string {
    return `${this.base}id:${external}`;
  }

  /** The head shared by the batch-read rows (ext, profile, embedding) of the users in bucket `b`: `<base>{<tag>}`. */
  bucketHead(b: number): string {
    return this.tags[b];
  }

  /** Dense id → external id (utf8). */
  ext(uid: number): string {
    return `${this.tags[uid % this.buckets]}x${uid}`;
  }

  /** Profile row (codec 'profile'). */
  profile(uid: number): string {
    return `${this.tags[uid % this.buckets]}p${uid}`;
  }

  /** Embedding (codec 'embedding'). */
  embedding(uid: number): string {
    return `${this.tags[uid % this.buckets]}e${uid}`;
  }

  /** Candidate list packed with pair features (codec 'candidates'). */
  candidates(uid: number): string {
    return `${this.base}{${uid}}c`;
  }

  /** The user's profile row and its list candidates' rows, packed at publish time (codec 'profiles'). */
  profiles(uid: number): string {
    return `${this.base}{${uid}}p`;
  }

  /**
   * Everything fetchRankingInputs reads for a user, in this order: candidate list, behaviour, profile pack,
   * connections, blocks, dismissals. One slot: one MGET on one node.
   */
  rankingInputs(uid: number): string[] {
    return [this.candidates(uid), this.behaviour(uid), this.profiles(uid), this.connections(uid), this.blocked(uid), this.dismissed(uid)];
  }

  /** Behavioural pair features of the candidates that have any (codec 'behaviour'). */
  behaviour(uid: number): string {
    return `${this.base}{${uid}}h`;
  }

  /** Sorted connection ids (codec 'ids'). */
  connections(uid: number): string {
    return `${this.base}{${uid}}n`;
  }

  /** Sorted ids blocked in either direction (codec 'ids'). */
  blocked(uid: number): string {
    return `${this.base}{${uid}}b`;
  }

  /** Sorted ids the user dismissed (codec 'ids'). */
  dismissed(uid: number): string {
    return `${this.base}{${uid}}d`;
  }

  /** Precomputed final ranking (codec 'ranked'). */
  staticList(uid: number): string {
    return `${this.base}{${uid}}s`;
  }
}

const TAGS = new Map<number, string[]>();

/** Bucket b's hash tag `p<b>.<j>`: the smallest j whose slot lies in the b-th of `buckets` equal slot ranges. */
export function bucketTags(buckets: number): string[] {
  let tags = TAGS.get(buckets);
  if (tags) return tags;
  tags = [];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * 16384) / buckets);
    const hi = Math.floor(((b + 1) * 16384) / buckets);
    for (let j = 0; ; j++) {
      const t = `p${b}.${j}`;
      const s = keySlot(t);
      if (s >= lo && s < hi) {
        tags.push(t);
        break;
      }
    }
  }
  TAGS.set(buckets, tags);
  return tags;
}

/** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384. */
export function keySlot(key: string): number {
  const tag = hashTag(key);
  let crc = 0;
  for (let i = 0; i < tag.length; i++) {
    const ch = tag.charCodeAt(i);
    if (ch > 0x7f) return slotOfBytes(Buffer.from(tag, 'utf8')); // non-ASCII: hash the UTF-8 bytes
    crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >>> 8) ^ ch) & 0xff];
  }
  return crc & 16383;
}

function slotOfBytes(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >>> 8) ^ bytes[i]) & 0xff];
  return crc & 16383;
}

const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();
