import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { sharedDataDir } from '../../src/core/paths.js';
import { getAdapter } from '../../src/data/adapters/index.js';
import { loadDataset } from '../../src/data/load.js';
import { getProfile } from '../../src/core/tables.js';
import { tempDataset } from './fixtures.js';

const EGO = sharedDataDir('ego-facebook');
const COLLEGE = sharedDataDir('college-msg');

const CATEGORY: Record<string, string> = {
  'work;employer;id': 'company',
  'education;school;id': 'school',
  'location;id': 'location',
  'hometown;id': 'hometown',
};

/** Brute force straight from the SNAP files: per node, per field, the first ego's lowest feature number. */
function expectedProfiles(): Map<string, Record<string, number | undefined>> {
  const dir = join(EGO, 'facebook');
  const egos = readdirSync(dir).filter((f) => f.endsWith('.featnames')).map((f) => Number(f.split('.')[0])).sort((a, b) => a - b);
  const out = new Map<string, Record<string, number | undefined>>();
  for (const ego of egos) {
    const names = readFileSync(join(dir, `${ego}.featnames`), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const cols = names.map((l) => {
      const rest = l.slice(l.indexOf(' ') + 1);
      const cut = rest.lastIndexOf(';anonymized feature ');
      return { field: CATEGORY[rest.slice(0, cut)], feature: Number(rest.slice(cut + ';anonymized feature '.length)) };
    });
    const rows: [string, string[]][] = [[String(ego), readFileSync(join(dir, `${ego}.egofeat`), 'utf8').trim().split(/\s+/)]];
    for (const l of readFileSync(join(dir, `${ego}.feat`), 'utf8').split('\n')) {
      if (l.trim() === '') continue;
      const p = l.trim().split(/\s+/);
      rows.push([p[0], p.slice(1)]);
    }
    for (const [node, vals] of rows) {
      const here: Record<string, number | undefined> = {};
      vals.forEach((v, i) => {
        const c = cols[i];
        if (v === '1' && c.field && (here[c.field] === undefined || c.feature < here[c.field]!)) here[c.field] = c.feature;
      });
      const acc = out.get(node) ?? {};
      for (const f of Object.values(CATEGORY)) if (acc[f] === undefined) acc[f] = here[f];
      out.set(node, acc);
    }
  }
  return out;
}

test('ego-facebook adapter on the shared SNAP data: 4,039 users, 88,234 connections, profiles as brute force says', { skip: !existsSync(EGO) }, async () => {
  const out = tempDataset({});
  const r = await getAdapter('ego-facebook').run(EGO, out);
  const w = await loadDataset(out);
  assert.equal(w.ids.size, 4039);
  assert.equal(w.connections.count, 88234);
  assert.equal(r.counts.nodes, 4039);
  assert.equal(r.counts.edges, 88234);
  const conns = w.report.files.find((f) => f.kind === 'connections')!;
  assert.deepEqual(conns.skipped, {}, 'facebook_combined.txt has no self-loops or repeats');

  const want = expectedProfiles();
  assert.equal(want.size, 4039);
  let company = 0;
  let school = 0;
  let location = 0;
  for (const [id, e] of want) {
    const p = getProfile(w.profiles, w.ids.lookup(id), id);
    const loc = e.location ?? e.hometown;
    assert.equal(p.company, e.company === undefined ? null : `employer ${e.company}`, `company of ${id}`);
    assert.equal(p.school, e.school === undefined ? null : `school ${e.school}`, `school of ${id}`);
    assert.equal(p.location, loc === undefined ? null : `place ${loc}`, `location of ${id}`);
    assert.equal(p.industry, null);
    company += p.company ? 1 : 0;
    school += p.school ? 1 : 0;
    location += p.location ? 1 : 0;
  }
  assert.deepEqual([r.counts.company, r.counts.school, r.counts.location], [company, school, location]);
  assert.ok(school / 4039 > 0.5, `school coverage ${school}`);
  assert.ok(company / 4039 > 0.1, `company coverage ${company}`);
  assert.ok(location / 4039 > 0.4, `location coverage ${location}`);
});

test('college-msg adapter: one connection per pair that messaged, dated and oriented by the first message', { skip: !existsSync(COLLEGE) }, async () => {
  const out = tempDataset({});
  const r = await getAdapter('college-msg').run(COLLEGE, out);
  const first = new Map<string, [string, string, number]>();
  for (const l of readFileSync(join(COLLEGE, 'CollegeMsg.txt'), 'utf8').split('\n')) {
    if (l.trim() === '') continue;
    const [s, d, t] = l.trim().split(/\s+/);
    if (s === d) continue;
    const k = Number(s) < Number(d) ? `${s},${d}` : `${d},${s}`;
    const f = first.get(k);
    if (!f || Number(t) < f[2]) first.set(k, [s, d, Number(t)]);
  }
  const w = await loadDataset(out);
  assert.equal(w.ids.size, 1899);
  assert.equal(w.connections.count, 13838);
  assert.equal(first.size, 13838);
  assert.equal(r.counts.directedPairs, 20296);
  const got = new Set<string>();
  const e = w.connections;
  for (let i = 0; i < e.count; i++) got.add(`${w.ids.value(e.src[i])},${w.ids.value(e.dst[i])},${e.ts[i]}`);
  for (const [s, d, t] of first.values()) assert.ok(got.has(`${s},${d},${t}`), `${s}->${d} at ${t}`);
  for (let i = 1; i < e.count; i++) assert.ok(e.ts[i - 1] <= e.ts[i], 'written in time order');
});

test('an unknown adapter name lists the valid ones; a missing source folder names the path', async () => {
  assert.throws(() => getAdapter('facebook'), (e) => isPymkError(e) && e.code === 'PYMK_UNKNOWN_NAME' && /ego-facebook, college-msg/.test(e.message));
  await assert.rejects(getAdapter('ego-facebook').run('/nonexistent/ego', tempDataset({})), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.includes('/nonexistent/ego'));
});
