import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { EVENT_TYPES, getProfile, type Profile } from '../../src/core/tables.js';
import { writeDataset, type ConnectionRow } from '../../src/data/adapters/writeDataset.js';
import { generateWorld, simulateWorld, userId } from '../../src/data/generate/index.js';
import { formatReport, loadDataset } from '../../src/data/load.js';
import type { World } from '../../src/data/world.js';
import { fixture, tempDataset } from './fixtures.js';

/** Connections of a world as external-id triples. */
function edgesOf(w: World): string[] {
  const e = w.connections;
  return Array.from({ length: e.count }, (_, i) => `${w.ids.value(e.src[i])}|${w.ids.value(e.dst[i])}|${e.ts[i]}`);
}

function profileOf(w: World, id: string): Profile {
  return getProfile(w.profiles, w.ids.lookup(id), id);
}

test('the mini fixture: default file names, header + comment + CRLF, ids from every file, merged duplicates', async () => {
  const w = await loadDataset(fixture('mini'));
  assert.deepEqual(w.ids.toArray(), ['u1', 'u2', 'u3', '4', 'u4', 'u5', 'u9']);
  assert.equal(w.profiles.n, 7);
  assert.deepEqual(edgesOf(w), ['u1|u2|1600000000', 'u2|u3|1700006400', 'u3|u1|0', 'u4|u5|1700000200']);
  assert.deepEqual(profileOf(w, 'u2'), {
    id: 'u2', company: 'Acme', school: null, location: 'Paris', industry: null, seniority: null,
    joinedAt: 1675209600, deactivated: true, banned: false,
  });
  assert.equal(profileOf(w, '4').banned, true);
  assert.deepEqual(profileOf(w, 'u9'), {
    id: 'u9', company: null, school: null, location: null, industry: null, seniority: null,
    joinedAt: null, deactivated: false, banned: false,
  });
  assert.equal(w.events.count, 4);
  assert.equal(EVENT_TYPES[w.events.type[2]], 'invite_accepted');
  assert.equal(w.events.ts[2], 1700006400);
  const [users, conns, events] = w.report.files;
  assert.deepEqual([users.kind, conns.kind, events.kind], ['profiles', 'connections', 'events']);
  assert.deepEqual(conns.skipped, { self_loop: 1, duplicate_pair: 1 });
  assert.equal(conns.rowsRead, 6);
  assert.equal(conns.rowsKept, 4);
  assert.match(users.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(users.notes, ["unknown field 'nickname' ignored (first on line 4)"]);
  assert.equal(w.report.name, 'mini');
  assert.equal(w.report.directed, false);
  assert.match(formatReport(w.report), /connections .*connections\.csv: 4 kept of 6 rows read[\s\S]*skipped: self_loop 1, duplicate_pair 1/);
});

test('a dataset.json names the files and options: directed TSV edges, CSV profiles', async () => {
  const w = await loadDataset(fixture('described'));
  assert.equal(w.report.name, 'described');
  assert.equal(w.report.directed, true);
  assert.deepEqual(edgesOf(w), ['a|b|1', 'b|a|2', 'c|a|0']);
  assert.deepEqual(profileOf(w, 'a'), {
    id: 'a', company: 'Acme, Inc.', school: null, location: 'Berlin', industry: null, seniority: 2,
    joinedAt: 1672531200, deactivated: false, banned: false,
  });
  assert.equal(profileOf(w, 'b').school, 'Uni "North"');
  assert.equal(profileOf(w, 'b').deactivated, true);
});

test('missing folder, missing connections, a missing named file and a bad dataset.json are PYMK_BAD_INPUT naming the path', async () => {
  const bad = (re: RegExp) => (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && re.test(e.message);
  await assert.rejects(loadDataset('/nonexistent/pymk-data'), bad(/\/nonexistent\/pymk-data: dataset folder not found/));
  const noConn = tempDataset({ 'users.jsonl': '{"id":"a"}\n' });
  await assert.rejects(loadDataset(noConn), bad(new RegExp(`${noConn}/connections\\.csv: required connections file not found`)));
  const named = tempDataset({ 'dataset.json': '{"connections":{"path":"edges.csv"},"profiles":{"path":"people.jsonl"}}', 'edges.csv': 'a,b\n' });
  await assert.rejects(loadDataset(named), bad(/people\.jsonl: profiles file named in .*dataset\.json not found/));
  const typo = tempDataset({ 'dataset.json': '{"connections":{"path":"c.csv","directd":true}}', 'c.csv': 'a,b\n' });
  await assert.rejects(loadDataset(typo), bad(/dataset\.json: connections: Unrecognized key.*directd/));
  const notJson = tempDataset({ 'dataset.json': '{nope', 'connections.csv': 'a,b\n' });
  await assert.rejects(loadDataset(notJson), bad(/dataset\.json: expected a JSON object/));
});

test('an empty or all-bad connections file is PYMK_BAD_INPUT; too many bad rows is PYMK_TOO_MANY_BAD_ROWS naming the file', async () => {
  await assert.rejects(loadDataset(tempDataset({ 'connections.csv': '' })), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && /no valid connections/.test(e.message));
  // All rows bad: more than half the file, so the bad-row limit stops it first, naming the file and reason.
  await assert.rejects(loadDataset(tempDataset({ 'connections.csv': 'a\nb\n' })), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS' && /connections\.csv.*wrong_column_count 1/.test(e.message));
  await assert.rejects(loadDataset(tempDataset({ 'connections.csv': 'a\nb\n' }), { maxBadRows: '100%' }), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && /no valid connections/.test(e.message));
  const dir = tempDataset({ 'connections.csv': 'a,b\n', 'events.jsonl': '{"ts":1,"type":"nope","actor":"a","target":"b"}\n'.repeat(3) });
  await assert.rejects(loadDataset(dir, { maxBadRows: 2 }), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS' && e.message.includes(join(dir, 'events.jsonl')));
  const w = await loadDataset(dir, { maxBadRows: 3 });
  assert.equal(w.report.files[1].skipped.unknown_event_type, 3);
});

test('round trip: random profiles, connections and events written in the standard formats load back unchanged', async () => {
  const rng = new Rng(11);
  const dir = mkdtempSync(join(tmpdir(), 'pymk-rt-'));
  try {
    const words = ['Acme', 'Acme, Inc.', 'Café "Zürich"', 'MIT', ' spaced ', 'a\tb', '東京'];
    const n = 200;
    const id = (u: number): string => (u % 5 === 0 ? String(u) : u % 5 === 1 ? `user,${u}` : `u${u}`);
    const pick = (): string | null => (rng.chance(0.3) ? null : words[rng.int(words.length)]);
    const profiles: Profile[] = [];
    for (let u = 0; u < n; u += 1 + rng.int(2)) {
      profiles.push({
        id: id(u), company: pick(), school: pick(), location: pick(), industry: pick(),
        seniority: rng.chance(0.2) ? null : rng.int(11), joinedAt: rng.chance(0.2) ? null : 1600000000 + rng.int(1e8),
        deactivated: rng.chance(0.1), banned: rng.chance(0.05),
      });
    }
    const connections: ConnectionRow[] = [];
    const seen = new Set<string>();
    while (connections.length < 600) {
      const a = rng.int(n + 20); // some users have no profile
      const b = rng.int(n + 20);
      const key = `${Math.min(a, b)},${Math.max(a, b)}`;
      if (a === b || seen.has(key)) continue;
      seen.add(key);
      connections.push({ src: id(a), dst: id(b), ts: rng.chance(0.1) ? 0 : 1600000000 + rng.int(1e8) });
    }
    await writeDataset({ dir, name: 'rt', withTime: true, connections, profiles });
    // Ids with a comma (written quoted) are outside the default id grammar: the dataset allows them.
    const described = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ ...described, ids: { allow: ',' } }));
    const events = Array.from({ length: 300 }, () => ({ ts: 1700000000 + rng.int(1e6), type: EVENT_TYPES[rng.int(EVENT_TYPES.length)], actor: id(rng.int(n)), target: id(n + 100 + rng.int(10)) }));
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');

    const w = await loadDataset(dir);
    for (const p of profiles) assert.deepEqual(profileOf(w, p.id), p);
    assert.deepEqual(edgesOf(w), connections.map((c) => `${c.src}|${c.dst}|${c.ts}`));
    assert.equal(w.events.count, events.length);
    events.forEach((e, i) => {
      assert.equal(EVENT_TYPES[w.events.type[i]], e.type);
      assert.equal(w.ids.value(w.events.actor[i]), e.actor);
      assert.equal(w.ids.value(w.events.target[i]), e.target);
      assert.equal(w.events.ts[i], e.ts);
    });
    for (const f of w.report.files) assert.equal(f.rowsKept, f.rowsRead, `${f.kind}: nothing skipped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generator compatibility: a world written by pymk generate loads back as the same world', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-gen-'));
  try {
    const opts = { users: 300, seed: 5, days: 60 };
    await generateWorld({ ...opts, out: dir });
    const g = simulateWorld(opts);
    const w = await loadDataset(dir);
    assert.equal(w.ids.size, g.profiles.n);
    for (let u = 0; u < g.profiles.n; u++) assert.deepEqual(profileOf(w, userId(u)), getProfile(g.profiles, u, userId(u)));
    // Brute force: the generated edges with repeated pairs merged (earliest known time) and self-loops dropped.
    const merged = new Map<string, [number, number, number]>();
    const e = g.connections;
    for (let i = 0; i < e.count; i++) {
      if (e.src[i] === e.dst[i]) continue;
      const k = `${Math.min(e.src[i], e.dst[i])},${Math.max(e.src[i], e.dst[i])}`;
      const m = merged.get(k);
      if (!m) merged.set(k, [e.src[i], e.dst[i], e.ts[i]]);
      else if (e.ts[i] !== 0 && (m[2] === 0 || e.ts[i] < m[2])) m[2] = e.ts[i];
    }
    assert.deepEqual(edgesOf(w), [...merged.values()].map(([s, d, t]) => `${userId(s)}|${userId(d)}|${t}`));
    assert.equal(w.events.count, g.events.count);
    for (let i = 0; i < g.events.count; i++) {
      assert.equal(w.events.type[i], g.events.type[i]);
      assert.equal(w.ids.value(w.events.actor[i]), userId(g.events.actor[i]));
      assert.equal(w.ids.value(w.events.target[i]), userId(g.events.target[i]));
      assert.equal(w.events.ts[i], g.events.ts[i]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
