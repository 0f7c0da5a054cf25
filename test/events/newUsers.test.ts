/**
 * Users created online, end to end with real processes: a bundle (with its GNN, profile tower and ANN
 * index) published to the machine's Redis under a unique prefix, two `pymk serve` processes on it sharing
 * the redis-streams event log — A runs the invalidator and writes the ANN tier's log, B only serves. A
 * user.created posted to A: B answers the new user's recommendations (by the embedding the invalidator
 * computed with the bundle's profile tower); a second new user with the same profile finds the first in
 * both processes' ANN answers (each process inserted it into its index); connected to a bundle user, the
 * new user is offered that user's friends (the refresher's list); restarted, both still do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { EMBED_DEFAULTS } from '../../src/pipeline/stages/embed.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';
import { startServe } from '../faults/harness.js';
import { testRedis } from '../helpers/services.js';
import { waitFor } from '../helpers/waitFor.js';

const redis = await testRedis();
const CLI = 'dist/src/cli/main.js';
const USERS = 400;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('users created online (Redis store, redis-streams log, two serve processes)', { skip: redis.skip }, () => {
  const prefix = `pymktest-new-${randomBytes(3).toString('hex')}`;
  const store = `${redis.url}?prefix=${prefix}&refreshMs=500`;
  const events = `${redis.url.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events`;
  let root = '';
  let bundle = '';
  let known = '';
  let profile: Json = null;
  type Proc = Awaited<ReturnType<typeof startServe>>;
  let a: Proc | null = null;
  let b: Proc | null = null;

  const start = async (): Promise<[Proc, Proc]> => {
    const common = ['--bundle', bundle, '--store', store, '--events', events, '--watch', '0'];
    const pa = await startServe([...common, '--invalidate']);
    const pb = await startServe(common, { PYMK_ANN_LOG_WRITER: 'false' });
    return [pa, pb];
  };
  const post = async (body: unknown): Promise<void> => {
    const r = await fetch(`${a!.base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 202, await r.text());
  };
  /** newbie-1 is among newbie-2's answer on process p (their tower vectors nearly coincide). */
  const findsFirst = (p: Proc, what: string) =>
    waitFor(async () => (await recs(p, 'newbie-2')).body.recommendations?.some((x: Json) => x.id === 'newbie-1'), { what: `newbie-1 in newbie-2's ANN answer on ${p.base} ${what}`, everyMs: 50, timeoutMs: 10_000 });
  const recs = async (p: Proc, user: string): Promise<{ status: number; body: Json }> => {
    const r = await fetch(`${p.base}/v1/users/${encodeURIComponent(user)}/recommendations?limit=20&explain=true`);
    return { status: r.status, body: await r.json() };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pymk-new-users-'));
    const data = join(root, 'data');
    bundle = join(root, 'bundle');
    await generateWorld({ users: USERS, seed: 5, out: data });
    const params: PipelineParams = {
      ...PIPELINE_DEFAULTS,
      embed: { ...EMBED_DEFAULTS, train: { ...EMBED_DEFAULTS.train, epochs: 1, maxEdges: 2000 } },
      rank: { ...RANK_DEFAULTS, served: 'mlp-int8' as const, train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 50 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 5 } } },
    };
    await runPipeline({ out: bundle, stages: defaultStages(params), inputs: { data }, params, progress: 'silent', log: () => {} });
    const pub = spawnSync(process.execPath, [CLI, 'publish', '--bundle', bundle, '--store', store], { encoding: 'utf8' });
    assert.equal(pub.status, 0, pub.stderr);
    [a, b] = await start();
    // The new users copy a bundle user's profile (so its company has a dictionary code).
    const users = (await readFile(join(data, 'users.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Json);
    const u = users.find((x) => x.company && x.school && x.location)!;
    profile = { company: u.company, school: u.school, location: u.location, industry: u.industry ?? null, seniority: u.seniority ?? null };
    known = u.id;
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const r = new Redis(redis.url, { lazyConnect: true });
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('a new user is served from their profile-tower embedding by the other process, and found by others', async () => {
    assert.equal((await recs(b!, 'newbie-1')).status, 404, 'unknown before the event');
    await post({ id: 'created-1', v: 1, at: Date.now(), type: 'user.created', user: 'newbie-1', profile });
    let own: Json = null;
    await waitFor(async () => {
      const r = await recs(b!, 'newbie-1');
      own = r.body;
      return r.status === 200 && r.body.recommendations.length > 0;
    }, { what: "newbie-1's recommendations from process B", everyMs: 20, timeoutMs: 10_000 });
    assert.equal(own.source, 'ann', JSON.stringify(own));
    assert.ok(own.recommendations.every((x: Json) => x.id !== 'newbie-1'), 'never recommended to themselves');
    assert.ok(own.recommendations.every((x: Json) => x.reasons.some((r: Json) => r.type === 'similar_to_you')), 'ANN cards say why');
    await post({ id: 'created-2', v: 1, at: Date.now(), type: 'user.created', user: 'newbie-2', profile });
    await findsFirst(a!, '(the invalidator and log writer)');
    await findsFirst(b!, '(serving only)');
    // A redelivered (same id) or repeated creation changes nothing; a bundle user cannot be created again.
    await post({
      events: [
        { id: 'created-1b', v: 1, at: Date.now(), type: 'user.created', user: 'newbie-1', profile },
        { id: 'created-3', v: 1, at: Date.now(), type: 'user.created', user: known },
      ],
    });
    await waitFor(async () => /pymk_events_skipped 1\b/.test(await (await fetch(`${a!.base}/metrics`)).text()), { what: 'the bundle user skipped' });
    const r = new Redis(redis.url);
    assert.deepEqual((await r.keys(`${prefix}:g*:created`)).length, 1);
    assert.equal(await r.get((await r.keys(`${prefix}:g*:created`))[0]), '2', 'two ids handed out');
    await r.quit();
  });

  test("a connection refreshes both lists: the new user is offered their new friend's friends, in both processes", async () => {
    await post({ id: 'connect-1', v: 1, at: Date.now(), type: 'connection.created', a: 'newbie-1', b: known });
    for (const p of [a!, b!]) {
      let own: Json = null;
      await waitFor(async () => {
        own = (await recs(p, 'newbie-1')).body;
        return own.source === 'stored';
      }, { what: `newbie-1's refreshed list on ${p.base}`, everyMs: 20, timeoutMs: 10_000 });
      assert.ok(own.recommendations.length > 0, JSON.stringify(own));
      // Their only connection is `known`: every 2-hop candidate is a friend of known, and says so.
      const viaKnown = own.recommendations.filter((x: Json) => x.reasons.some((r: Json) => r.type === 'mutual_connections' && r.sample.includes(known)));
      assert.ok(viaKnown.length > 0, JSON.stringify(own.recommendations.map((x: Json) => x.reasons)));
      assert.ok(own.recommendations.every((x: Json) => x.id !== known && x.id !== 'newbie-1'), 'neither the new friend nor themselves');
    }
    const m = await (await fetch(`${a!.base}/metrics`)).text();
    assert.match(m, /pymk_refresh_done [1-9]/);
    assert.match(m, /pymk_refresh_failed 0\b/);
  });

  test('restarted processes still serve the new user and still find them', async () => {
    await Promise.all([a!.stop(), b!.stop()]);
    [a, b] = await start();
    for (const p of [a, b]) {
      const own = await recs(p, 'newbie-1');
      assert.equal(own.status, 200);
      assert.ok(own.body.recommendations.length > 0);
      await findsFirst(p, 'after the restart');
    }
  });
});
