/**
 * The one contract suite every OnlineStore implementation passes (memory, Redis, Redis Cluster). Expected
 * values come from the snapshot's raw arrays (fixtures.ts), never from another store, except the end-to-end
 * check that recommendations equal the reference memory store's.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { FLAG_DEACTIVATED, PROFILE_FIELDS } from '../../src/core/tables.js';
import { coreFor, recommend } from '../../src/recommend/recommend.js';
import { MemoryStore } from '../../src/store/memory.js';
import { PAIR_FEATURES, row, type Snapshot } from '../../src/store/snapshot.js';
import { BEHAVIOUR_FEATURES, TTL_KINDS, ttlConfig, type TtlConfig } from '../../src/store/ttl.js';
import type { OnlineStore } from '../../src/store/types.js';
import { expectedColumns, expectedInputs, plain, randomSnapshot } from './fixtures.js';

export interface StoreHarness {
  /** Serves `snap` as the current version, in a fresh key space, with these TTLs. */
  open(snap: Snapshot, ttl?: TtlConfig): Promise<OnlineStore>;
  /** Makes `snap` the version `store` serves (Redis: publish + switch; memory: swap). */
  replace(store: OnlineStore, snap: Snapshot): Promise<void>;
  /**
   * Makes `ms` milliseconds pass for the values `store` serves, without waiting: memory moves the store's
   * clock; Redis shortens every key's TTL by `ms` and deletes the keys that run out.
   */
  elapse(store: OnlineStore, ms: number): Promise<void>;
  /** Removes everything the harness created (keys, stores). */
  cleanup(): Promise<void>;
  /** Largest absolute error allowed on decoded embedding components (stores may quantise). */
  embeddingTolerance: number;
}

export function storeContract(name: string, harness: StoreHarness | null, skip?: string): void {
  describe(`store contract: ${name}`, { skip: harness ? false : (skip ?? true) }, () => {
    const h = harness!;
    after(() => h?.cleanup());

    test('serves every user exactly as the snapshot holds it', async () => {
      const snap = randomSnapshot({ users: 80, seed: 11, lists: true, embeddingDim: 8 });
      const store = await h.open(snap);
      assert.equal(store.version(), snap.version);
      const n = snap.ids.size;
      const all = Int32Array.from({ length: n }, (_, i) => i);
      for (let u = 0; u < n; u++) assert.equal(await store.resolveUser(snap.ids.value(u)), u, `resolve ${snap.ids.value(u)}`);
      assert.equal(await store.resolveUser('nobody-at-all'), null);
      assert.deepEqual(await store.externalIds(all), snap.ids.toArray());
      for (let u = 0; u < n; u++) assert.deepEqual(plain(await store.fetchRankingInputs(u)), plain(expectedInputs(snap, u)), `user ${u}`);
      const rows = await store.neighbors(all);
      for (let u = 0; u < n; u++) assert.deepEqual(Array.from(rows[u]), Array.from(snap.graph.neighbors(u)));
      const some = Int32Array.from([n - 1, 0, 5, 5, 17]);
      const cols = await store.profiles(some);
      for (const [f, col] of Object.entries(cols)) {
        assert.deepEqual(Array.from(col as ArrayLike<number>), Array.from(some, (u) => (expectedInputs(snap, u).user as unknown as Record<string, ArrayLike<number>>)[f][0]), `profiles ${f}`);
      }
      for (const f of PROFILE_FIELDS) {
        const d = snap.profiles.dicts[f];
        for (let c = 0; c < d.size; c++) assert.equal(store.fieldValue(f, c), d.value(c));
        assert.equal(store.fieldValue(f, -1), null);
      }
      for (let u = 0; u < n; u++) {
        const l = snap.lists!;
        const got = await store.staticList(u);
        const want = row({ offsets: l.offsets, targets: l.cand }, u);
        if (want.length === 0) assert.equal(got, null);
        else {
          assert.deepEqual(Array.from(got!.cand), Array.from(want));
          assert.deepEqual(Array.from(got!.score), Array.from(l.score.subarray(l.offsets[u], l.offsets[u + 1])));
        }
      }
      const emb = await store.embeddings(all);
      const { dim, vectors } = snap.embeddings!;
      for (let u = 0; u < n; u++) {
        assert.equal(emb[u]!.length, dim);
        for (let j = 0; j < dim; j++) assert.ok(Math.abs(emb[u]![j] - vectors[u * dim + j]) <= h.embeddingTolerance, `embedding ${u}[${j}]`);
      }
    });

    test('recommendations equal the reference memory store', async () => {
      const snap = randomSnapshot({ users: 60, seed: 12, maxCandidates: 30 });
      const store = await h.open(snap);
      const config = loadConfig({}, {});
      const ref = coreFor(new MemoryStore(snap), config);
      const core = coreFor(store, config);
      for (let u = 0; u < snap.ids.size; u += 3) {
        const id = snap.ids.value(u);
        assert.deepEqual(await recommend(core, id, 5), await recommend(ref, id, 5), `user ${id}`);
      }
    });

    test('event writes change one user atomically and keep lists aligned', async () => {
      const snap = randomSnapshot({ users: 60, seed: 13, maxCandidates: 10 });
      const store = await h.open(snap);
      const c = snap.candidates;
      const withList = [...Array(snap.ids.size).keys()].filter((u) => c.offsets[u + 1] - c.offsets[u] >= 3);
      const [u, v] = withList;

      // removeCandidate: every row of that candidate goes, the others keep their features.
      const before = expectedInputs(snap, u);
      const victim = before.candidates.ids[1];
      const keep = Array.from(before.candidates.ids, (id, i) => (id === victim ? -1 : i)).filter((i) => i >= 0);
      assert.equal(await store.removeCandidate(u, victim), before.candidates.ids.length - keep.length);
      const got = await store.fetchRankingInputs(u);
      assert.deepEqual(Array.from(got.candidates.ids), keep.map((i) => before.candidates.ids[i]));
      for (const f of PAIR_FEATURES) assert.deepEqual(Array.from(got.candidates.features[f]), keep.map((i) => before.candidates.features[f][i]));
      assert.deepEqual(Array.from(got.candidates.score), keep.map((i) => before.candidates.score[i]));
      assert.equal(await store.removeCandidate(u, victim), 0, 'second removal is a no-op');
      const empty = [...Array(snap.ids.size).keys()].find((x) => c.offsets[x + 1] === c.offsets[x])!;
      assert.equal(await store.removeCandidate(empty, 0), 0, 'no list, nothing removed');

      // addConnection: both rows gain the other (sorted, once); both lists lose the other.
      const b = (await store.fetchRankingInputs(v)).candidates.ids[0];
      await store.addConnection(v, b);
      await store.addConnection(v, b);
      const iv = await store.fetchRankingInputs(v);
      const ib = await store.fetchRankingInputs(b);
      assert.deepEqual(Array.from(iv.connections), sortedInsert(snap.graph.neighbors(v), b));
      assert.deepEqual(Array.from(ib.connections), sortedInsert(snap.graph.neighbors(b), v));
      assert.ok(!iv.candidates.ids.includes(b) && !ib.candidates.ids.includes(v));
      assert.deepEqual((await store.neighbors([v, b])).map((r) => Array.from(r)), [Array.from(iv.connections), Array.from(ib.connections)]);

      // addBlock is symmetric; addDismissal is not. Rows that did not exist are created.
      const noBlocks = [...Array(snap.ids.size).keys()].filter((x) => row(snap.blocked, x).length === 0 && x !== v);
      const [p, q] = noBlocks;
      await store.addBlock(p, q);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(p)).blocked), [q]);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(q)).blocked), [p]);
      const target = (await store.fetchRankingInputs(withList[2])).candidates.ids[0];
      await store.addDismissal(withList[2], target);
      const id2 = await store.fetchRankingInputs(withList[2]);
      assert.deepEqual(Array.from(id2.dismissed), sortedInsert(row(snap.dismissed, withList[2]), target));
      assert.ok(!id2.candidates.ids.includes(target));
      if (target !== withList[2]) assert.deepEqual(Array.from((await store.fetchRankingInputs(target)).dismissed), Array.from(row(snap.dismissed, target)));
      // Nobody else changed.
      for (const x of [0, 1, 2, 3].filter((x) => ![u, v, b, p, q, withList[2], target].includes(x))) {
        assert.deepEqual(plain(await store.fetchRankingInputs(x)), plain(expectedInputs(snap, x)), `untouched user ${x}`);
      }
    });

    test("a removal matches a candidate's id only, never the same bytes inside its features", async () => {
      const snap = randomSnapshot({ users: 60, seed: 17, maxCandidates: 10 });
      const c = snap.candidates;
      const u = [...Array(snap.ids.size).keys()].find((x) => c.offsets[x + 1] - c.offsets[x] >= 4)!;
      const list = Array.from(c.cand.subarray(c.offsets[u], c.offsets[u + 1]));
      const decoy = [...Array(snap.ids.size).keys()].find((x) => !list.includes(x))!;
      const victim = list[2];
      // Features whose 4 bytes are the decoy's and the victim's ids (denormal floats).
      const asFloat = (id: number): number => new Float32Array(Int32Array.of(id).buffer)[0];
      c.features.aa[c.offsets[u]] = asFloat(decoy);
      c.features.cn[c.offsets[u] + 1] = asFloat(victim);
      const store = await h.open(snap);
      const before = await store.fetchRankingInputs(u);
      assert.equal(before.candidates.features.aa[0], asFloat(decoy), 'fixture: the stored feature holds the decoy id bytes');
      assert.equal(await store.removeCandidate(u, decoy), 0);
      assert.deepEqual(plain(await store.fetchRankingInputs(u)), plain(before), 'nothing removed for an id that is only inside a feature');
      assert.equal(await store.removeCandidate(u, victim), 1);
      const after = await store.fetchRankingInputs(u);
      assert.deepEqual(Array.from(after.candidates.ids), list.filter((x) => x !== victim));
      assert.equal(after.candidates.features.cn[1], asFloat(victim), "the other row's feature is intact");
      await store.addDismissal(u, decoy);
      assert.equal((await store.fetchRankingInputs(u)).candidates.ids.length, list.length - 1, 'a dismissal of the decoy removes nothing either');
    });

    test('graph event writes: removals, flags, and every write applied twice equals once', async () => {
      const snap = randomSnapshot({ users: 60, seed: 18, maxCandidates: 10 });
      const store = await h.open(snap);
      const n = snap.ids.size;
      const c = snap.candidates;
      const listed = [...Array(n).keys()].filter((x) => c.offsets[x + 1] - c.offsets[x] >= 2);

      // A new connection, then its removal: both rows end as published; the candidates stay gone (no re-add).
      const a = listed[0];
      const b = c.cand[c.offsets[a]];
      assert.ok(!snap.graph.neighbors(a).includes(b), 'fixture: a candidate is not a connection');
      await store.addConnection(a, b);
      await store.removeConnection(a, b);
      await store.removeConnection(a, b);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(a)).connections), Array.from(snap.graph.neighbors(a)));
      assert.deepEqual(Array.from((await store.fetchRankingInputs(b)).connections), Array.from(snap.graph.neighbors(b)));
      assert.ok(!(await store.fetchRankingInputs(a)).candidates.ids.includes(b), 'a removed connection does not come back as a candidate');

      // Removing a published connection removes it from both rows and from neighbors().
      const x = [...Array(n).keys()].find((u) => snap.graph.degree(u) >= 2 && ![a, b].includes(u))!;
      const y = snap.graph.neighbors(x)[0];
      await store.removeConnection(x, y);
      const without = (r: ArrayLike<number>, v: number): number[] => Array.from(r).filter((w) => w !== v);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(x)).connections), without(snap.graph.neighbors(x), y));
      assert.deepEqual(Array.from((await store.neighbors([y]))[0]), without(snap.graph.neighbors(y), x));

      // A block and its lifting: both rows; unblock of a pair never blocked is a no-op.
      const [p, q] = [...Array(n).keys()].filter((u) => row(snap.blocked, u).length === 0 && ![a, b, x, y].includes(u));
      await store.addBlock(p, q);
      await store.addBlock(p, q);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(q)).blocked), [p]);
      await store.removeBlock(q, p);
      await store.removeBlock(q, p);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(p)).blocked), []);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(q)).blocked), []);
      const withBlock = [...Array(n).keys()].find((u) => row(snap.blocked, u).length > 0)!;
      const other = row(snap.blocked, withBlock)[0];
      await store.removeBlock(withBlock, other);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(withBlock)).blocked), without(row(snap.blocked, withBlock), other));
      assert.deepEqual(Array.from((await store.fetchRankingInputs(other)).blocked), without(row(snap.blocked, other), withBlock));

      // Dismissal twice: once in the row, the candidate gone once.
      const d = listed[1];
      const t = c.cand[c.offsets[d] + 1];
      await store.addDismissal(d, t);
      await store.addDismissal(d, t);
      const id = await store.fetchRankingInputs(d);
      assert.deepEqual(Array.from(id.dismissed), sortedInsert(row(snap.dismissed, d), t));
      assert.ok(!id.candidates.ids.includes(t));

      // Flags: bits are ORed into the user's own row (fetchRankingInputs().user and profiles()), twice = once.
      const f = [...Array(n).keys()].find((u) => snap.profiles.flags[u] === 0 && c.offsets[u + 1] > c.offsets[u])!;
      const listBefore = Array.from((await store.fetchRankingInputs(f)).candidates.ids);
      await store.addFlags(f, 2);
      await store.addFlags(f, 2);
      await store.addFlags(f, 1);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(f)).user.flags), [3]);
      assert.deepEqual(Array.from((await store.profiles([f])).flags), [3]);
      const got = await store.fetchRankingInputs(f);
      assert.deepEqual(Array.from(got.user.company), [snap.profiles.codes.company[f]], 'the rest of the row is untouched');
      assert.deepEqual(Array.from(got.candidates.ids), listBefore, 'flags leave the list alone');

      // Users nobody touched are exactly as published.
      const touched = new Set([a, b, x, y, p, q, withBlock, other, d, t, f]);
      for (const u of [...Array(n).keys()].filter((u) => !touched.has(u)).slice(0, 8)) {
        const want = plain(expectedInputs(snap, u)) as { candidates: { users: { flags: number[] } } };
        const have = plain(await store.fetchRankingInputs(u)) as typeof want;
        // Memory reads one profile table, so f's new flags show in other users' candidate columns there.
        have.candidates.users.flags = want.candidates.users.flags;
        assert.deepEqual(have, want, `untouched user ${u}`);
      }
    });

    test('values expire per kind and fall back cleanly', async () => {
      // TTLs of 100 s (profile, behaviour) and 200 s (lists), time moved by elapse(): on Redis the real seconds
      // a run takes are a rounding error against these margins.
      const snap = randomSnapshot({ users: 30, seed: 14, lists: true });
      const store = await h.open(snap, ttlConfig({ profile: 100, behaviour: 100, candidates: 200, pair: 400, static: 200 }));
      const c = snap.candidates;
      const hasBehaviour = (x: number): boolean => BEHAVIOUR_FEATURES.some((f) => c.features[f].subarray(c.offsets[x], c.offsets[x + 1]).some((v) => v !== 0));
      const u = [...Array(30).keys()].find((x) => c.offsets[x + 1] > c.offsets[x] && snap.graph.degree(x) > 0 && hasBehaviour(x))!;
      const fresh = await store.fetchRankingInputs(u);
      assert.equal(fresh.source, 'stored');
      assert.deepEqual(Array.from(fresh.user.company), [snap.profiles.codes.company[u]]);
      assert.ok(BEHAVIOUR_FEATURES.some((f) => fresh.candidates.features[f].some((v) => v !== 0)));
      await h.elapse(store, 95_000); // 5 s before: the real seconds since the publish count too on Redis
      const early = await store.fetchRankingInputs(u);
      assert.deepEqual(plain(early), plain(fresh), 'nothing expires before its TTL');
      await h.elapse(store, 6_000); // 101 s
      const noProfiles = await store.fetchRankingInputs(u);
      assert.equal(noProfiles.source, 'stored', 'lists outlive profiles and behaviour');
      for (const f of BEHAVIOUR_FEATURES) assert.ok(noProfiles.candidates.features[f].every((v) => v === 0), `${f} expired to 0`);
      assert.deepEqual(Array.from(noProfiles.candidates.features.cn), Array.from(fresh.candidates.features.cn), 'graph features stay');
      assert.deepEqual(Array.from(noProfiles.user.company), [-1]);
      assert.deepEqual(Array.from(noProfiles.user.degree), [-1]);
      assert.ok(noProfiles.candidates.users.flags.every((f) => f === 0));
      await h.elapse(store, 100_000); // 201 s
      const noLists = await store.fetchRankingInputs(u);
      assert.equal(noLists.source, 'none');
      assert.equal(noLists.candidates.ids.length, 0);
      assert.equal(await store.staticList(u), null);
      assert.deepEqual(Array.from(noLists.connections), Array.from(snap.graph.neighbors(u)), 'exclusions outlive lists');
      assert.equal(await store.resolveUser(snap.ids.value(u)), u);
    });

    test('a version whose data has all expired is reported unavailable, not "unknown user"', async () => {
      const snap = randomSnapshot({ users: 10, seed: 17 });
      const all = Object.fromEntries(TTL_KINDS.map((k) => [k, 100]));
      const store = await h.open(snap, ttlConfig(all));
      // 10 s of margin each side: on Redis the real seconds since the publish count too (a loaded box).
      await h.elapse(store, 90_000);
      assert.equal(await store.resolveUser(snap.ids.value(3)), 3, 'still served before the TTL');
      await h.elapse(store, 20_000);
      await assert.rejects(store.resolveUser(snap.ids.value(3)), (e: Error & { code?: string }) => e.code === 'PYMK_STORE_UNAVAILABLE');
    });

    test('updateProfile changes the fields given, in the profile row and the own row of the pack, twice = once', async () => {
      const snap = randomSnapshot({ users: 40, seed: 23, embeddingDim: 8, maxCandidates: 8 });
      const store = await h.open(snap);
      const c = snap.candidates;
      const u = [...Array(snap.ids.size).keys()].find((x) => c.offsets[x + 1] - c.offsets[x] >= 3 && snap.profiles.flags[x] === 0)!;
      await store.addFlags(u, FLAG_DEACTIVATED);
      const before = await store.fetchRankingInputs(u);
      const vectorBefore = (await store.embeddings([u]))[0];
      const dict = snap.profiles.dicts;
      const company = dict.company.value((snap.profiles.codes.company[u] + 1) % dict.company.size);
      for (let i = 0; i < 2; i++) await store.updateProfile(u, { company, school: null, industry: 'an industry nobody is in', seniority: 9 }, null);
      const after = await store.fetchRankingInputs(u);
      const [p] = [await store.profiles([u])];
      for (const got of [after.user, p]) {
        assert.equal(store.fieldValue('company', got.company[0]), company);
        assert.equal(got.school[0], -1, 'null: unknown');
        assert.equal(got.industry[0], -1, 'a name the version has no code for: unknown');
        assert.equal(got.location[0], snap.profiles.codes.location[u], 'fields not given are kept');
        assert.equal(got.seniority[0], 9);
        assert.equal(got.flags[0] & FLAG_DEACTIVATED, FLAG_DEACTIVATED, 'flags are kept');
      }
      assert.deepEqual(plain({ ...after, user: before.user }), plain(before), 'the list and the candidates\' rows are untouched');
      assert.deepEqual(Array.from((await store.embeddings([u]))[0] ?? []), Array.from(vectorBefore ?? []), "a bundle user's embedding is not touched without one given");

      // A user created online: the row changes, and a new embedding replaces theirs.
      const made = await store.createUser('re-embedded', { company: dict.company.value(0), seniority: 2 }, Float32Array.from({ length: 8 }, () => 0.5));
      const vec = Float32Array.from({ length: 8 }, (_, i) => (i - 4) / 8);
      await store.updateProfile(made.uid, { seniority: 3 }, vec);
      const q = await store.profiles([made.uid]);
      assert.equal(q.seniority[0], 3);
      assert.equal(store.fieldValue('company', q.company[0]), dict.company.value(0));
      const e = (await store.embeddings([made.uid]))[0]!;
      for (let i = 0; i < 8; i++) assert.ok(Math.abs(e[i] - vec[i]) < 2e-3, `embedding[${i}] ${e[i]} vs ${vec[i]}`);
    });

    test('users created online: ids after the bundle, resolvable both ways, idempotent, with profile and embedding', async () => {
      const snap = randomSnapshot({ users: 30, seed: 19, embeddingDim: 8 });
      const store = await h.open(snap);
      const n = snap.ids.size;
      assert.deepEqual(await store.createdRange(), [n, n], 'nobody created yet');
      const company = snap.profiles.dicts.company.value(0);
      const vec = Float32Array.from({ length: 8 }, (_, i) => (i - 3.5) / 4);
      const a = await store.createUser('new-a', { company, school: 'a school nobody went to', seniority: 4 }, vec);
      assert.deepEqual(a, { uid: n, status: 'created' });
      const b = await store.createUser('new-b', {}, null);
      assert.deepEqual(b, { uid: n + 1, status: 'created' });
      assert.deepEqual(await store.createUser('new-a', { company, seniority: 4 }, vec), { uid: n, status: 'again' }, 'a redelivery gets the same id');
      assert.deepEqual(await store.createUser(snap.ids.value(3), { company }, vec), { uid: 3, status: 'in bundle' }, 'a bundle user is left as it is');
      assert.deepEqual(await store.createdRange(), [n, n + 2]);
      assert.equal(await store.resolveUser('new-a'), n);
      assert.equal(await store.resolveUser('new-b'), n + 1);
      assert.deepEqual(await store.externalIds([n + 1, n, 0]), ['new-b', 'new-a', snap.ids.value(0)]);
      const cols = await store.profiles([n, n + 1]);
      assert.deepEqual([cols.company[0], cols.school[0], cols.seniority[0], cols.degree[0]], [0, -1, 4, 0], 'known company coded, unseen school unknown');
      assert.deepEqual([cols.company[1], cols.seniority[1], cols.flags[1]], [-1, -1, 0]);
      const [ea, eb] = await store.embeddings([n, n + 1]);
      for (let j = 0; j < 8; j++) assert.ok(Math.abs(ea![j] - vec[j]) <= h.embeddingTolerance, `embedding[${j}]`);
      assert.equal(eb, null, 'created without an embedding');
      const inputs = await store.fetchRankingInputs(n);
      assert.equal(inputs.source, 'none');
      assert.equal(inputs.user.company[0], 0);
      assert.deepEqual([inputs.connections.length, inputs.candidates.ids.length], [0, 0]);
      // The new user takes part in graph events like any other.
      await store.addConnection(n, 5);
      assert.deepEqual(Array.from((await store.neighbors([n]))[0]), [5]);
      assert.ok((await store.neighbors([5]))[0].includes(n));
      await store.addFlags(n + 1, 1);
      assert.equal((await store.profiles([n + 1])).flags[0], 1);
    });

    test('setCandidates replaces a list with its features and profile rows, for the version served only', async () => {
      const snap = randomSnapshot({ users: 40, seed: 23, lists: true });
      const store = await h.open(snap);
      const uid = 4;
      const ids = Int32Array.of(9, 2, 31);
      const features = Object.fromEntries(PAIR_FEATURES.map((f, k) => [f, Float32Array.from(ids, (_, i) => (BEHAVIOUR_FEATURES.includes(f) && i === 1 ? 0 : k + i / 4))])) as Record<(typeof PAIR_FEATURES)[number], Float32Array>;
      const list = { ids, score: Float32Array.of(3, 2, 1), features };
      const basis = (await store.fetchRankingInputs(uid)).connections;
      assert.equal(await store.setCandidates(uid, 'another-version', list, basis), 'outdated', 'another version: nothing written');
      assert.equal(await store.setCandidates(uid, snap.version, list, Int32Array.of(...basis, 39)), 'changed', 'computed from other connections: nothing written');
      assert.deepEqual(plain(await store.fetchRankingInputs(uid)), plain(expectedInputs(snap, uid)));
      // The user's own profile row in the pack is kept as the store holds it (a flag set since is not undone).
      await store.addFlags(uid, FLAG_DEACTIVATED);
      assert.equal(await store.setCandidates(uid, snap.version, list, basis), 'written');
      const got = await store.fetchRankingInputs(uid);
      const want = expectedInputs(snap, uid);
      assert.equal(got.source, 'stored');
      assert.deepEqual(Array.from(got.candidates.ids), [9, 2, 31]);
      assert.deepEqual(Array.from(got.candidates.score), [3, 2, 1]);
      for (const f of PAIR_FEATURES) assert.deepEqual(Array.from(got.candidates.features[f]), Array.from(features[f]), f);
      const cols = (c: object) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
      assert.deepEqual(cols(got.candidates.users), cols(expectedColumns(snap, ids)), "the candidates' profile rows");
      assert.deepEqual(cols(got.user), { ...cols(want.user), flags: [want.user.flags[0] | FLAG_DEACTIVATED] });
      // Event writes keep working on the new list; other users are untouched.
      assert.equal(await store.removeCandidate(uid, 2), 1);
      assert.deepEqual(Array.from((await store.fetchRankingInputs(uid)).candidates.ids), [9, 31]);
      assert.deepEqual(plain(await store.fetchRankingInputs(5)), plain(expectedInputs(snap, 5)));
      assert.equal(await store.setCandidates(uid, snap.version, { ids: new Int32Array(0), score: new Float32Array(0), features: Object.fromEntries(PAIR_FEATURES.map((f) => [f, new Float32Array(0)])) as typeof features }, basis), 'written');
      const emptied = await store.fetchRankingInputs(uid);
      assert.deepEqual(Array.from(emptied.candidates.ids), [], 'an empty list');
      assert.equal(emptied.source, 'none', 'an empty list leaves the user to ANN or cold start');
    });

    test('replacing the version serves the new one entirely', async () => {
      const a = randomSnapshot({ users: 40, seed: 15, version: 'v-a' });
      const b = randomSnapshot({ users: 40, seed: 16, version: 'v-b' });
      const store = await h.open(a);
      await h.replace(store, b);
      assert.equal(store.version(), 'v-b');
      for (let u = 0; u < 40; u++) assert.deepEqual(plain(await store.fetchRankingInputs(u)), plain(expectedInputs(b, u)));
      assert.equal(await store.resolveUser(a.ids.value(0)), null, 'old ids are gone');
    });
  });
}

export function sortedInsert(a: ArrayLike<number>, x: number): number[] {
  const out = Array.from(a);
  if (!out.includes(x)) out.push(x);
  return out.sort((p, q) => p - q);
}
