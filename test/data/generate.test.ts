import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EVENT_TYPES } from '../../src/core/tables.js';
import { isPymkError } from '../../src/core/errors.js';
import { FILES, MODEL, generateWorld, resolveParams } from '../../src/data/generate/index.js';
import { loadDataset } from '../../src/data/load.js';

interface UserRow {
  id: string;
  company: string | null;
  school: string | null;
  location: string | null;
  industry: string | null;
  seniority: number | null;
  joined_at: number;
  deactivated: boolean;
  banned: boolean;
}
interface EventRow {
  ts: number;
  type: string;
  actor: string;
  target: string;
}

/** Parses a dataset folder with plain code, checking each line against docs/formats.md as it goes. */
function parseDataset(dir: string): { users: Map<string, UserRow>; edges: [string, string, number][]; events: EventRow[] } {
  const lines = (f: string): string[] => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0);
  const users = new Map<string, UserRow>();
  const keys = ['id', 'company', 'school', 'location', 'industry', 'seniority', 'joined_at', 'deactivated', 'banned'];
  for (const l of lines(FILES.profiles)) {
    const u = JSON.parse(l) as UserRow;
    assert.deepEqual(Object.keys(u), keys, l);
    assert.match(u.id, /^u\d+$/);
    for (const k of ['company', 'school', 'location', 'industry'] as const) assert.ok(u[k] === null || (typeof u[k] === 'string' && u[k] !== ''), l);
    assert.ok(u.seniority === null || (Number.isInteger(u.seniority) && u.seniority >= 0 && u.seniority <= 10), l);
    assert.ok(Number.isInteger(u.joined_at), l);
    assert.equal(typeof u.deactivated, 'boolean');
    assert.equal(typeof u.banned, 'boolean');
    assert.ok(!users.has(u.id), `duplicate profile ${u.id}`);
    users.set(u.id, u);
  }
  const conn = lines(FILES.connections);
  assert.equal(conn[0], 'src,dst,ts');
  const edges = conn.slice(1).map((l) => {
    const [s, d, t, ...rest] = l.split(',');
    assert.equal(rest.length, 0, l);
    assert.match(s, /^u\d+$/);
    assert.match(d, /^u\d+$/);
    assert.match(t, /^\d+$/);
    return [s, d, Number(t)] as [string, string, number];
  });
  const events = lines(FILES.events).map((l) => {
    const e = JSON.parse(l) as EventRow;
    assert.deepEqual(Object.keys(e), ['ts', 'type', 'actor', 'target'], l);
    assert.ok(Number.isInteger(e.ts) && (EVENT_TYPES as readonly string[]).includes(e.type), l);
    return e;
  });
  return { users, edges, events };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'pymk-generate-'));

test('same seed writes byte-identical files; another seed writes a different world', async () => {
  const [a, b, c] = [tmp(), tmp(), tmp()];
  try {
    await generateWorld({ users: 1500, seed: 11, out: a });
    await generateWorld({ users: 1500, seed: 11, out: b });
    await generateWorld({ users: 1500, seed: 12, out: c });
    assert.deepEqual(readdirSync(a).sort(), Object.values(FILES).sort());
    for (const f of Object.values(FILES)) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs for the same seed`);
    for (const f of [FILES.connections, FILES.profiles, FILES.events]) {
      assert.ok(!readFileSync(join(a, f)).equals(readFileSync(join(c, f))), `${f} is the same for another seed`);
    }
  } finally {
    for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
  }
});

test('files parse as documented and the world obeys its invariants', async () => {
  const dir = tmp();
  try {
    const res = await generateWorld({ users: 2000, seed: 7, out: dir, days: 200, logDays: 40 });
    const { users, edges, events } = parseDataset(dir);
    const p = res.params;
    const dataset = JSON.parse(readFileSync(join(dir, FILES.dataset), 'utf8'));
    assert.deepEqual(dataset.connections, { path: FILES.connections, directed: false });
    assert.equal(dataset.profiles.path, FILES.profiles);
    assert.equal(dataset.events.path, FILES.events);
    const world = JSON.parse(readFileSync(join(dir, FILES.world), 'utf8'));
    assert.deepEqual(world.counts, res.counts);
    assert.equal(users.size, 2000);
    assert.equal(edges.length, res.counts.connections);
    assert.equal(events.length, res.counts.events);

    // Connections: no self-loops or repeated pairs, both ends joined, inside the period, in time order.
    const pairs = new Map<string, number>();
    let prev = 0;
    const degree = new Map<string, number>();
    for (const [s, d, t] of edges) {
      assert.notEqual(s, d, 'self-loop');
      const k = s < d ? `${s}|${d}` : `${d}|${s}`;
      assert.ok(!pairs.has(k), `duplicate connection ${k}`);
      pairs.set(k, t);
      assert.ok(users.has(s) && users.has(d), 'connection to an unknown user');
      assert.ok(t >= users.get(s)!.joined_at && t >= users.get(d)!.joined_at, `connection ${k} at ${t} before a user joined`);
      assert.ok(t >= p.start && t <= p.end, `connection time ${t} outside the period`);
      assert.ok(t >= prev, 'connections out of time order');
      prev = t;
      degree.set(s, (degree.get(s) ?? 0) + 1);
      degree.set(d, (degree.get(d) ?? 0) + 1);
    }
    const mean = (2 * edges.length) / users.size;
    assert.ok(Math.abs(mean - 25) < 2.5, `mean degree ${mean}`);
    const degs = [...users.keys()].map((u) => degree.get(u) ?? 0).sort((x, y) => x - y);
    assert.ok(degs[degs.length - 1] > 4 * degs[degs.length >> 1], `degrees not heavy-tailed: median ${degs[degs.length >> 1]}, max ${degs.at(-1)}`);

    // Events: inside the period, between joined users, in time order.
    prev = 0;
    for (const e of events) {
      assert.ok(users.has(e.actor) && users.has(e.target) && e.actor !== e.target, JSON.stringify(e));
      assert.ok(e.ts >= users.get(e.actor)!.joined_at && e.ts >= users.get(e.target)!.joined_at, `event before a user joined: ${JSON.stringify(e)}`);
      assert.ok(e.ts >= p.start && e.ts <= p.end, `event outside the period: ${JSON.stringify(e)}`);
      assert.ok(e.ts >= prev, 'events out of time order');
      prev = e.ts;
    }
    // Every accepted invite is a connection made at that second, after an invite the other way.
    const invited = new Map<string, number>();
    let accepted = 0;
    for (const e of events) {
      if (e.type === 'invite_sent' && !invited.has(`${e.actor}>${e.target}`)) invited.set(`${e.actor}>${e.target}`, e.ts);
      if (e.type !== 'invite_accepted') continue;
      accepted++;
      const k = e.actor < e.target ? `${e.actor}|${e.target}` : `${e.target}|${e.actor}`;
      assert.equal(pairs.get(k), e.ts, `accepted invite without a connection at that time: ${JSON.stringify(e)}`);
      const sent = invited.get(`${e.target}>${e.actor}`);
      assert.ok(sent !== undefined && sent <= e.ts, `accepted invite never sent: ${JSON.stringify(e)}`);
    }
    // … and every connection made inside the log window was such an invite.
    const inWindow = edges.filter(([, , t]) => t >= p.logStart).length;
    assert.equal(accepted, inWindow);
    assert.ok(accepted > 0);
    // A blocked pair never connects after the block.
    for (const e of events) {
      if (e.type !== 'block') continue;
      const k = e.actor < e.target ? `${e.actor}|${e.target}` : `${e.target}|${e.actor}`;
      const t = pairs.get(k);
      assert.ok(t === undefined || t < e.ts, `pair connected after a block: ${JSON.stringify(e)}`);
    }
    for (const t of EVENT_TYPES) assert.ok(res.counts.eventsByType[t] > 0, `no ${t} events`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('profiles: launch wave then a trickle, ~1% deactivated, few banned, heavy-tailed company sizes', async () => {
  const dir = tmp();
  try {
    const res = await generateWorld({ users: 5000, seed: 3, out: dir, avgDegree: 8 });
    const { users } = parseDataset(dir);
    const p = res.params;
    const rows = [...users.values()];
    const launch = rows.filter((u) => u.joined_at < p.start + MODEL.launchShare * (p.end - p.start)).length / rows.length;
    assert.ok(launch > 0.75 && launch < 0.9, `launch wave share ${launch}`);
    assert.ok(rows.some((u) => u.joined_at > p.start + 0.9 * (p.end - p.start)), 'nobody joined late');
    const deactivated = rows.filter((u) => u.deactivated).length;
    const banned = rows.filter((u) => u.banned).length;
    assert.ok(deactivated >= 25 && deactivated <= 80, `deactivated ${deactivated}`);
    assert.ok(banned >= 2 && banned <= 25, `banned ${banned}`);
    const sizes = new Map<string, number>();
    for (const u of rows) if (u.company) sizes.set(u.company, (sizes.get(u.company) ?? 0) + 1);
    const s = [...sizes.values()].sort((x, y) => x - y);
    assert.ok(s[s.length - 1] > 5 * s[s.length >> 1], `company sizes not heavy-tailed: median ${s[s.length >> 1]}, max ${s.at(-1)}`);
    // Industry follows the company: most co-workers share it.
    const byCompany = new Map<string, Map<string | null, number>>();
    for (const u of rows) {
      if (!u.company) continue;
      const m = byCompany.get(u.company) ?? new Map<string | null, number>();
      m.set(u.industry, (m.get(u.industry) ?? 0) + 1);
      byCompany.set(u.company, m);
    }
    let top = 0;
    let all = 0;
    for (const m of byCompany.values()) {
      top += Math.max(...m.values());
      for (const c of m.values()) all += c;
    }
    assert.ok(top / all > 0.8, `industry agrees with the company for ${top / all}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadDataset reads a generated folder without skipping a row', async () => {
  const dir = tmp();
  try {
    const res = await generateWorld({ users: 800, seed: 9, out: dir });
    const w = await loadDataset(dir);
    assert.equal(w.ids.size, 800);
    assert.equal(w.connections.count, res.counts.connections);
    assert.equal(w.events.count, res.counts.events);
    for (const f of w.report.files) assert.deepEqual(f.skipped, {}, `${f.kind} skipped rows`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generateWorld rejects when the output folder cannot be written', async () => {
  const dir = tmp();
  try {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    await assert.rejects(generateWorld({ users: 100, seed: 1, out: file }));
    await assert.rejects(generateWorld({ users: 100, seed: 1, out: join(file, 'below') }));
    // A file the users.jsonl worker cannot create: the failure surfaces from the worker thread.
    const out = join(dir, 'world');
    mkdirSync(join(out, FILES.profiles), { recursive: true });
    await assert.rejects(generateWorld({ users: 100, seed: 1, out }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options are validated with PYMK_BAD_PARAM naming the option', () => {
  const bad = [{ users: 1 }, { users: 10, avgDegree: 0 }, { users: 10, avgDegree: 50 }, { users: 10, days: 0 }, { users: 10, logDays: 400 }, { users: 2.5 }];
  for (const o of bad) {
    assert.throws(
      () => resolveParams({ seed: 1, ...o }),
      (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_PARAM',
      JSON.stringify(o),
    );
  }
  const p = resolveParams({ users: 10, seed: 1, days: 30 });
  assert.equal(p.logDays, 30);
  assert.equal(p.avgDegree, 4.5, 'the default degree shrinks for tiny worlds');
  assert.equal(p.end - p.start, 30 * 86400);
});

test('pymk generate writes the folder and prints a summary; bad flags fail', () => {
  const dir = tmp();
  try {
    const cli = join(process.cwd(), 'dist/src/cli/main.js');
    const ok = spawnSync(process.execPath, [cli, 'generate', '--users', '400', '--seed', '2', '--out', dir, '--days', '90', '--quiet'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /400 users, \d+ connections/);
    const world = JSON.parse(readFileSync(join(dir, FILES.world), 'utf8'));
    assert.equal(world.params.days, 90);
    assert.equal(world.counts.users, 400);
    const bad = spawnSync(process.execPath, [cli, 'generate', '--users', 'lots', '--out', dir], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--users/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
