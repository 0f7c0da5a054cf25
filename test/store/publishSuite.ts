/**
 * Publish and integrity tests for the Redis stores (one node and cluster): atomic version switch under
 * concurrent readers, resume after an interrupted publish, compare-and-set of the pointer, expiry of the
 * replaced generation, and detection of malformed values.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { META_FORMAT } from '../../src/store/meta.js';
import { countKeys, publishSnapshot } from '../../src/store/publish.js';
import { expectedInputs, plain, randomSnapshot } from './fixtures.js';
import type { KvHarness } from './kvHarness.js';
import { waitFor } from '../helpers/waitFor.js';

const isCode = (code: string, text?: RegExp) => (e: Error & { code?: string }) => e.code === code && (!text || text.test(e.message));

export function publishSuite(name: string, h: KvHarness | null, skip?: string): void {
  describe(`publish and integrity: ${name}`, { skip: h ? false : (skip ?? true) }, () => {
    after(() => h?.cleanup());

    test('readers during a publish see the old or the new version, never a mix', async () => {
      const a = randomSnapshot({ users: 120, seed: 21, version: 'v-a' });
      const b = randomSnapshot({ users: 120, seed: 22, version: 'v-b' });
      const url = h!.freshUrl();
      await h!.publish(url, a);
      const store = await h!.openUrl(url, 5);
      const want = { a: (u: number) => plain(expectedInputs(a, u)), b: (u: number) => plain(expectedInputs(b, u)) };
      let publishing = true;
      const seen = { a: 0, b: 0 };
      // The publish waits for a read to finish after each chunk, so reads are interleaved with every chunk.
      let readDone: () => void = () => {};
      let readerEnded = false; // a failed read must not leave the publish waiting
      const nextRead = (): Promise<void> => (readerEnded ? Promise.resolve() : new Promise((r) => (readDone = r)));
      const reader = (async () => {
        try {
          for (let i = 0, tail = 0; publishing || tail++ < 20; i++) {
            const u = (i * 37) % 120;
            const got = plain(await store.fetchRankingInputs(u));
            const isA = JSON.stringify(got) === JSON.stringify(want.a(u));
            const isB = JSON.stringify(got) === JSON.stringify(want.b(u));
            assert.ok(isA || isB, `read of user ${u} matches neither version`);
            seen[isA ? 'a' : 'b']++;
            readDone();
          }
        } finally {
          readerEnded = true;
          readDone();
        }
      })();
      await h!.publish(url, b, { chunkUsers: 8, inFlight: 2, onChunk: () => nextRead() });
      await waitFor(() => store.version() === 'v-b', { what: 'the store to follow the pointer (refreshMs 5)' });
      publishing = false;
      await reader;
      await store.close();
      assert.ok(seen.a > 0, 'some reads during the publish saw the old version');
      assert.ok(seen.b > 0, 'reads after the switch see the new version');
    });

    test('an interrupted publish resumes to a complete generation without duplicates', async () => {
      const a = randomSnapshot({ users: 100, seed: 23, version: 'v-a', lists: true });
      const b = randomSnapshot({ users: 100, seed: 24, version: 'v-b', lists: true });
      const url = h!.freshUrl();
      await h!.publish(url, a);
      const store = await h!.openUrl(url);
      const t = await h!.target(url);
      const crash = publishSnapshot(t.kv, t.space, b, {
        chunkUsers: 10,
        inFlight: 1,
        onChunk: (done) => {
          if (done === 4) throw new Error('simulated crash');
        },
      });
      await assert.rejects(crash, /simulated crash/);
      await store.refresh();
      assert.equal(store.version(), 'v-a', 'the interrupted publish is invisible');
      assert.deepEqual(plain(await store.fetchRankingInputs(7)), plain(expectedInputs(a, 7)));

      const rerun = await publishSnapshot(t.kv, t.space, b, { chunkUsers: 10, inFlight: 3, graceMs: 150 });
      assert.equal(rerun.outcome, 'published');
      assert.equal(rerun.resumedAt, 4, 'resumed at the first unfinished chunk');
      assert.ok(rerun.keysWritten < rerun.keysTotal, 'the rerun did not rewrite finished chunks');
      await store.refresh();
      assert.equal(store.version(), 'v-b');
      for (let u = 0; u < 100; u++) assert.deepEqual(plain(await store.fetchRankingInputs(u)), plain(expectedInputs(b, u)), `user ${u}`);
      const expectKeys = countKeys(b, 0, 100) + 2;
      assert.equal(rerun.keysTotal, expectKeys);
      assert.equal(await t.kv.scan(t.space.genPattern(rerun.gen), async () => {}), expectKeys, 'exactly the keys of one generation');
      const left = (): Promise<number> => t.kv.scan(t.space.genPattern(rerun.previousGen!), async () => {});
      await waitFor(async () => (await left()) === 0, { what: 'the replaced generation to expire (graceMs 150)' });
      const again = await publishSnapshot(t.kv, t.space, b, { chunkUsers: 10 });
      assert.equal(again.outcome, 'current', 'publishing the served version again writes nothing');
      await store.close();
    });

    test('a publish whose pointer moved meanwhile refuses to switch', async () => {
      const [a, b, c] = [31, 32, 33].map((seed) => randomSnapshot({ users: 40, seed, version: `v-${seed}` }));
      const url = h!.freshUrl();
      await h!.publish(url, a);
      const t = await h!.target(url);
      let raced = false;
      const slow = publishSnapshot(t.kv, t.space, b, {
        chunkUsers: 10,
        inFlight: 1,
        onChunk: async () => {
          if (!raced) {
            raced = true;
            await h!.publish(url, c);
          }
        },
      });
      await assert.rejects(slow, isCode('PYMK_BUNDLE_LOCKED', /another publish/));
      const store = await h!.openUrl(url);
      assert.equal(store.version(), 'v-33');
      await store.close();
    });

    test('malformed, truncated or newer-format values are reported, not decoded', async () => {
      const a = randomSnapshot({ users: 50, seed: 41, maxCandidates: 8 });
      const url = h!.freshUrl();
      await h!.publish(url, a);
      const store = await h!.openUrl(url);
      const t = await h!.target(url);
      const { gen, meta } = store.current();
      const k = t.space.gen(gen, meta.buckets);
      const c = a.candidates;
      const u = [...Array(50).keys()].find((x) => c.offsets[x + 1] - c.offsets[x] >= 2)!;
      const good = (await t.kv.get(k.candidates(u)))!;

      await t.kv.set([{ key: k.candidates(u), value: good.subarray(0, good.length - 3), px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u), isCode('PYMK_STORE_INVALID', /truncated/));
      await assert.rejects(store.removeCandidate(u, 1), isCode('PYMK_STORE_INVALID', /does not match/));
      const newer = Buffer.from(good);
      newer[1] = 99;
      await t.kv.set([{ key: k.candidates(u), value: newer, px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u), isCode('PYMK_STORE_INVALID', /format version 99/));
      await assert.rejects(store.addDismissal(u, 1), isCode('PYMK_STORE_INVALID', /format version 99/));
      await t.kv.set([{ key: k.candidates(u), value: Buffer.concat([good, Buffer.from([0])]), px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u), isCode('PYMK_STORE_INVALID', /trailing bytes/));
      await t.kv.set([{ key: k.candidates(u), value: good, px: 0 }]);

      const pack = (await t.kv.get(k.profiles(u)))!;
      await t.kv.set([{ key: k.profiles(u), value: pack.subarray(0, pack.length - 1), px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u), isCode('PYMK_STORE_INVALID', /truncated/));
      await t.kv.set([{ key: k.profiles(u), value: 'hello', px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u), isCode('PYMK_STORE_INVALID', /not a profiles value/));
      await t.kv.set([{ key: k.profiles(u + 1), value: pack, px: 0 }]);
      await assert.rejects(store.fetchRankingInputs(u + 1), isCode('PYMK_STORE_INVALID', new RegExp(`row 0 is user ${u}, expected ${u + 1}`)));
      await t.kv.set([{ key: k.id('bad-id'), value: 'x1', px: 0 }]);
      await assert.rejects(store.resolveUser('bad-id'), isCode('PYMK_STORE_INVALID'));

      const metaBuf = (await t.kv.get(k.meta()))!;
      await t.kv.set([{ key: k.meta(), value: metaBuf.toString().replace(`"format":${META_FORMAT}`, `"format":${META_FORMAT + 1}`), px: 0 }]);
      await assert.rejects(openStore(url), isCode('PYMK_STORE_INVALID', new RegExp(`meta format ${META_FORMAT + 1}`)));
      await store.close();
    });

    test('a bundle whose candidate list repeats a candidate is refused', async () => {
      const a = randomSnapshot({ users: 30, seed: 51, maxCandidates: 6 });
      const c = a.candidates;
      const u = [...Array(30).keys()].find((x) => c.offsets[x + 1] - c.offsets[x] >= 2)!;
      c.cand[c.offsets[u] + 1] = c.cand[c.offsets[u]];
      await assert.rejects(h!.publish(h!.freshUrl(), a), isCode('PYMK_BUNDLE_INVALID', /twice/));
    });

    test('an empty key space is reported as unavailable', async () => {
      await assert.rejects(openStore(h!.freshUrl()), isCode('PYMK_STORE_UNAVAILABLE', /nothing published/));
    });
  });
}
