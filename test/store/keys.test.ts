/** Key layout, hash tags, TTL configuration and the Lua script loader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeySpace, hashTag, keySlot } from '../../src/store/keys.js';
import { declaredKeys, loadScripts, SCRIPT_FILES } from '../../src/store/scripts.js';
import { DEFAULT_TTL, ttlConfig, valueTtls } from '../../src/store/ttl.js';

test('a user\'s own keys share one slot; batch-read rows spread over the bucket tags', () => {
  const k = new KeySpace('pymk').gen(7, 64);
  for (const u of [0, 1, 99, 123456]) {
    const own = [k.candidates(u), k.behaviour(u), k.connections(u), k.blocked(u), k.dismissed(u), k.staticList(u)].map(keySlot);
    assert.equal(new Set(own).size, 1, `user ${u}`);
    assert.equal(keySlot(k.profile(u)), keySlot(k.ext(u)));
    assert.equal(keySlot(k.profile(u)), keySlot(k.profile(u + 64)), 'same bucket, same slot');
  }
  const slots = new Set(Array.from({ length: 5000 }, (_, u) => keySlot(k.profile(u))));
  assert.equal(slots.size, 64);
  assert.ok(k.meta().startsWith('pymk:g7:'));
});

test('hash tags follow the Redis rule and known slots match', () => {
  assert.equal(hashTag('a{b}c'), 'b');
  assert.equal(hashTag('a{}b{c}'), 'a{}b{c}');
  assert.equal(hashTag('a{b'), 'a{b');
  assert.equal(hashTag('{x}{y}'), 'x');
  // Values from the Redis Cluster specification / CLUSTER KEYSLOT.
  assert.equal(keySlot('123456789'), 12739);
  assert.equal(keySlot('foo'), 12182);
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
});

test('key prefixes may not contain braces or spaces', () => {
  assert.throws(() => new KeySpace('a{b}'), /prefix/);
  assert.throws(() => new KeySpace(''), /prefix/);
  assert.throws(() => new KeySpace('pymk').gen(1, 0), /buckets/);
});

test('TTLs: seed defaults, overrides by object or text, unknown kinds refused', () => {
  assert.equal(DEFAULT_TTL.embedding, 86400);
  assert.equal(DEFAULT_TTL.pair, 21600);
  assert.equal(DEFAULT_TTL.profile, 3600);
  assert.equal(DEFAULT_TTL.behaviour, 3600);
  assert.equal(DEFAULT_TTL.candidates, 14400);
  const t = ttlConfig('profile=90m, candidates=2h,pair=30');
  assert.deepEqual([t.profile, t.candidates, t.pair, t.graph], [5400, 7200, 30, 86400]);
  assert.equal(valueTtls(t).candidates, 30_000, 'a list with packed pair features expires with the shorter of the two');
  assert.equal(valueTtls(ttlConfig({ ids: 0 })).meta, 0, 'a kind that never expires keeps the meta too');
  assert.equal(valueTtls(DEFAULT_TTL).meta, 86_400_000);
  assert.throws(() => ttlConfig('profiles=1'), /unknown TTL kind 'profiles'; expected one of/);
  assert.throws(() => ttlConfig('profile=abc'), /not kind=number/);
  assert.throws(() => ttlConfig({ profile: -1 }), />= 0/);
});

test('every Lua script has a header naming KEYS, ARGV and Returns, and includes expand', () => {
  const scripts = loadScripts();
  assert.deepEqual(Object.keys(scripts).sort(), Object.keys(SCRIPT_FILES).sort());
  assert.equal(scripts.removeCandidate.numberOfKeys, 2);
  assert.equal(scripts.editExclusions.numberOfKeys, 3);
  assert.equal(scripts.editExclusions.repeatKeys, true, 'one or more users per call');
  assert.equal(scripts.setFlags.numberOfKeys, 1);
  assert.equal(scripts.setFlags.repeatKeys, true);
  assert.equal(scripts.removeCandidate.repeatKeys, false);
  assert.equal(scripts.switchVersion.numberOfKeys, 1);
  for (const s of Object.values(scripts)) assert.ok(!/^-- @include "/m.test(s.lua), `${s.name} still has an include`);
  assert.throws(() => declaredKeys('return 1', 'x.lua'), /header/);
});

test('bucket tags spread evenly over equal slot ranges (any node count that divides the buckets)', () => {
  const k = new KeySpace('pymk').gen(1, 48);
  for (const nodes of [2, 3, 4, 6]) {
    const per = new Array(nodes).fill(0);
    for (let b = 0; b < 48; b++) per[Math.floor((keySlot(k.profile(b)) * nodes) / 16384)]++;
    assert.deepEqual(per, new Array(nodes).fill(48 / nodes), `${nodes} nodes`);
  }
});
