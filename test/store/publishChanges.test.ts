/**
 * The incremental publish (`pymk publish --since OLD`, store/publishChanges.ts) against a redis-server of the
 * test's own, with keyspace notifications on so every key written or deleted is seen: OLD is published in
 * full, then NEW (an incremental pipeline run on the world grown by 1% connections and new users) is patched
 * in. The affected users — those with any own key whose value differs between OLD and NEW — get exactly the
 * keys a full publish of NEW writes; every other user's keys (its profile pack included, which a full
 * publish would rewrite for its candidates' new degrees) are neither written nor deleted: same bytes, expiry
 * still counting down. A reader of the same generation switches to NEW's version on its next refresh.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Rng } from '../../src/core/rng.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { openKvTarget, openStore, publishChanges, publishSnapshot, type ChangesReport } from '../../src/store/index.js';
import type { KvStore } from '../../src/store/kvStore.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import { startRedis } from '../helpers/redisCluster.js';
import { redisServerSkip } from '../helpers/services.js';
import { expectedInputs, plain } from './fixtures.js';

const skip = await redisServerSkip();
const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, embed: false, rank: false };
const quiet = { progress: 'silent' as const, log: () => {} };
const USERS = 1500;

let root = '';
let redis: Awaited<ReturnType<typeof startRedis>>;
let raw: Redis;
let prev: Snapshot;
let next: Snapshot;
/** Every key of a prefix's served generation, by its name after the generation's base, with value and PTTL. */
type Keys = Map<string, { value: Buffer; pttl: number }>;
let before0: Keys;
let after0: Keys;
let reference: Keys;
let written: Set<string>;
let deleted: Set<string>;
let report: ChangesReport;
let reader: KvStore;

async function servedKeys(prefix: string): Promise<Keys> {
  const gen = await raw.get(`${prefix}:current`);
  const base = `${prefix}:g${gen}:`;
  const out: Keys = new Map();
  let cursor = '0';
  do {
    const [c, keys] = await raw.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
    cursor = c;
    for (const k of keys) out.set(k.slice(base.length), { value: (await raw.getBuffer(k))!, pttl: await raw.pttl(k) });
  } while (cursor !== '0');
  return out;
}

before(async () => {
  if (skip) return;
  root = await mkdtemp(join(tmpdir(), 'pymk-publish-changes-'));
  const data = join(root, 'data');
  await generateWorld({ users: USERS, seed: 5, out: data });
  const first = await runPipeline({ out: join(root, 'first'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
  const grown = join(root, 'grown');
  await cp(data, grown, { recursive: true });
  const lines = (await readFile(join(data, 'connections.csv'), 'utf8')).trim().split('\n');
  const ts = Math.max(...lines.slice(1).map((l) => Number(l.split(',')[2]) || 0)) + 86_400;
  const rng = new Rng(8);
  const added: string[] = [];
  for (let i = 0; i < Math.round((lines.length - 1) / 100); i++) added.push(`u${rng.int(USERS)},u${rng.int(USERS)},${ts}`);
  for (let j = 0; j < 15; j++) for (let k = 0; k < 3; k++) added.push(`new${j},u${rng.int(USERS)},${ts}`);
  await appendFile(join(grown, 'connections.csv'), `${added.join('\n')}\n`);
  const inc = await runPipeline({ out: join(root, 'inc'), stages: defaultStages(PARAMS, { incrementalFrom: first.dir }), inputs: { data: grown }, params: PARAMS, reuseFrom: first.dir, ...quiet });
  [prev, next] = [await loadSnapshot(first.dir), await loadSnapshot(inc.dir)];

  redis = await startRedis();
  raw = new Redis(redis.url);
  const [live, ref] = ['live', 'ref'].map((p) => `${redis.url}?prefix=${p}`);
  for (const [url, snap] of [[live, prev], [ref, next]] as const) {
    const t = await openKvTarget(url);
    await publishSnapshot(t.kv, t.space, snap, { chunkUsers: 200 });
    await t.kv.close();
  }
  reader = (await openStore(`${live}&refreshMs=0`)) as KvStore;
  before0 = await servedKeys('live');
  reference = await servedKeys('ref');

  // Every SET and DEL from here on, in order; a PUBLISH after the patch marks the end of its notifications.
  await raw.config('SET', 'notify-keyspace-events', 'E$g');
  const sub = new Redis(redis.url);
  written = new Set();
  deleted = new Set();
  const done = new Promise<void>((resolve) => {
    sub.on('pmessage', (_p: string, channel: string, key: string) => {
      const name = key.replace(/^live:g\d+:/, '');
      if (channel.endsWith(':set')) written.add(name);
      else if (channel.endsWith(':del')) deleted.add(name);
    });
    sub.on('message', () => resolve());
  });
  await sub.psubscribe('__keyevent@0__:*');
  await sub.subscribe('end-of-patch');
  await new Promise((r) => setTimeout(r, 1100)); // expiries now count down visibly (PTTL is in ms)
  const t = await openKvTarget(live);
  report = await publishChanges(t.kv, t.space, next, prev, { chunkUsers: 200 });
  await t.kv.close();
  await raw.publish('end-of-patch', '1');
  await done;
  await sub.quit();
  after0 = await servedKeys('live');
});

after(async () => {
  await reader?.close();
  await raw?.quit();
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The user a key (name after the generation's base) belongs to, and whether it is the user's profile pack. */
function owner(name: string, value: Buffer): { user: string; pack: boolean } | null {
  const own = /^\{(\d+)\}([a-z])$/.exec(name);
  if (own) return { user: own[1], pack: own[2] === 'p' };
  const bucket = /^\{p\d+\.\d+\}[a-z](\d+)$/.exec(name);
  if (bucket) return { user: bucket[1], pack: false };
  if (name.startsWith('id:')) return { user: value.toString(), pack: false };
  return null; // meta, dicts
}

/** The keys whose value differs between OLD's full publish and NEW's, and the users they make affected. */
function expectedPatch(): { affected: Set<string>; changed: Set<string>; stalePacks: Set<string>; gone: string[] } {
  const affected = new Set<string>();
  const differs: string[] = [];
  for (const [name, { value }] of reference) if (name !== 'meta' && !before0.get(name)?.value.equals(value)) differs.push(name);
  const gone = [...before0.keys()].filter((n) => !reference.has(n));
  for (const name of [...differs, ...gone]) {
    const o = owner(name, (reference.get(name) ?? before0.get(name))!.value);
    if (o && !o.pack) affected.add(o.user);
  }
  const changed = new Set<string>();
  const stalePacks = new Set<string>();
  for (const name of differs) {
    const o = owner(name, reference.get(name)!.value);
    (o?.pack && !affected.has(o.user) ? stalePacks : changed).add(name);
  }
  return { affected, changed, stalePacks, gone };
}

test('the affected users\' keys hold what a full publish of the new bundle writes', { skip }, () => {
  const { stalePacks } = expectedPatch();
  const names = (k: Keys): string[] => [...k.keys()].filter((n) => n !== 'meta').sort();
  assert.deepEqual(names(after0), names(reference));
  for (const [name, { value }] of reference) {
    if (name === 'meta') continue;
    const want = stalePacks.has(name) ? before0.get(name)!.value : value;
    assert.ok(after0.get(name)!.value.equals(want), `${name} differs from ${stalePacks.has(name) ? 'the earlier publish' : 'the full publish'}`);
  }
  assert.equal(report.outcome, 'patched');
  assert.equal(report.stalePacks, stalePacks.size);
});

test('only the affected users\' keys are written or deleted; every other key keeps its bytes and its expiry', { skip }, () => {
  const { affected, changed, stalePacks, gone } = expectedPatch();
  assert.deepEqual([...written].sort(), [...changed, 'meta'].sort(), 'keys written');
  assert.deepEqual([...deleted].sort(), gone.sort(), 'keys deleted');
  let untouched = 0;
  for (const [name, was] of before0) {
    if (changed.has(name) || gone.includes(name) || name === 'meta') continue;
    const now = after0.get(name)!;
    assert.ok(now.value.equals(was.value), `${name}: bytes changed`);
    assert.ok(was.pttl < 0 || now.pttl < was.pttl - 1000, `${name}: expiry ${was.pttl} → ${now.pttl} ms, it was rewritten`);
    untouched++;
  }
  for (const name of written) {
    const o = owner(name, after0.get(name)?.value ?? Buffer.alloc(0));
    assert.ok(o === null || affected.has(o.user), `${name} written for an unaffected user`);
  }
  const meta = JSON.parse(after0.get('meta')!.value.toString()) as { version: string; users: number };
  assert.deepEqual([meta.version, meta.users], [next.version, next.ids.size]);
  assert.ok(after0.get('meta')!.pttl < before0.get('meta')!.pttl, 'the meta keeps its expiry');
  assert.equal(report.keysWritten, written.size);
  assert.equal(report.keysDeleted, deleted.size);
  assert.equal(report.usersChanged, affected.size);
  assert.ok(affected.size > 0 && affected.size < next.ids.size / 2, `${affected.size} users affected`);
  console.log(`# ${affected.size} of ${next.ids.size} users affected: ${changed.size} keys written, ${gone.length} deleted, ${untouched} untouched (${stalePacks.size} of them stale packs)`);
});

test('a reader of the generation serves the new version after its next refresh, the affected users\' new inputs', { skip }, async () => {
  assert.equal(reader.version(), prev.version);
  assert.equal(await reader.refresh(), next.version);
  const affected = [...expectedPatch().affected].map(Number);
  const some = [...affected.filter((u) => u < USERS).slice(0, 5), USERS + 3, next.ids.size - 1];
  for (const u of some) assert.deepEqual(plain(await reader.fetchRankingInputs(u)), plain(expectedInputs(next, u)), `affected user ${u}`);
});

test('a rerun writes nothing; a store serving another version is refused', { skip }, async () => {
  const t = await openKvTarget(`${redis.url}?prefix=live`);
  try {
    assert.equal((await publishChanges(t.kv, t.space, next, prev)).outcome, 'current');
    await assert.rejects(publishChanges(t.kv, t.space, { ...next, version: 'v-other' }, { ...prev, version: 'v-never-published' }), (e: Error & { code?: string }) => e.code === 'PYMK_CONFIG' && /serves/.test(e.message));
  } finally {
    await t.kv.close();
  }
});
