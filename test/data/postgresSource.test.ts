/**
 * The PostgreSQL source against the machine's PostgreSQL: a generated world loaded with loadIntoPostgres
 * reads back as the same World as the folder, and a pipeline over it builds the same bundle (graph,
 * candidates, static lists byte for byte). Bad rows in tables are rejected and counted like bad lines in
 * files, naming the table and row; a broken source fails the run and publishes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { loadDataset, type Reject } from '../../src/data/load.js';
import { loadIntoPostgres, openSource } from '../../src/data/sources/index.js';
import type { World } from '../../src/data/world.js';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { dropSchema, schemaUrl, skipWithoutPostgres, sql, uniqueSchema } from '../helpers/postgres.js';

const skip = await skipWithoutPostgres();
const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, embed: false, rank: false };
const quiet = { progress: 'silent' as const, log: () => {} };

let root = '';
let data = '';
const schema = uniqueSchema('pymk_src');
const bad = uniqueSchema('pymk_bad');

before(async () => {
  if (skip) return;
  root = await mkdtemp(join(tmpdir(), 'pymk-pgsrc-'));
  data = join(root, 'data');
  await generateWorld({ users: 1500, seed: 3, out: data });
  await loadIntoPostgres(schemaUrl(schema), await loadDataset(data));
});

after(async () => {
  if (skip) return;
  await dropSchema(schema);
  await dropSchema(bad);
  await rm(root, { recursive: true, force: true });
});

const columns = (w: World) => ({
  ids: w.ids.toArray(),
  connections: [Array.from(w.connections.src), Array.from(w.connections.dst), Array.from(w.connections.ts)],
  events: [Array.from(w.events.type), Array.from(w.events.actor), Array.from(w.events.target), Array.from(w.events.ts)],
  profiles: [w.profiles.codes.company, w.profiles.codes.school, w.profiles.seniority, w.profiles.joinedAt, w.profiles.flags].map((c) => Array.from(c)),
  dicts: Object.fromEntries(Object.entries(w.profiles.dicts).map(([k, d]) => [k, d.toArray()])),
});

describe('PostgreSQL source', { skip }, () => {
  test('a world loaded into PostgreSQL reads back as the same World as its folder', async () => {
    const files = await loadDataset(data);
    const db = await openSource(schemaUrl(schema)).load();
    assert.equal(db.ids.size, 1500);
    assert.deepEqual(columns(db), columns(files));
    assert.deepEqual(db.report.files.map((f) => [f.path, f.rowsRead, f.rowsKept]), [
      [`postgres:${schema}.users`, 1500, 1500],
      [`postgres:${schema}.connections`, files.connections.count, files.connections.count],
      [`postgres:${schema}.events`, files.events.count, files.events.count],
    ]);
  });

  test('pipeline --source postgres:// builds the bundle the folder builds: same graph, candidates and lists', async () => {
    const fromFiles = join(root, 'b-files');
    const fromDb = join(root, 'b-db');
    const a = await runPipeline({ out: fromFiles, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
    const source = openSource(schemaUrl(schema));
    const b = await runPipeline({ out: fromDb, stages: defaultStages(PARAMS, { source }), inputs: { data: source }, params: PARAMS, ...quiet });
    assert.equal(b.manifest.inputs.data.kind, 'database');
    const shown = ['users/ids.json', 'users/profiles.bin', 'data/connections.bin', 'data/events.bin', 'graph/graph.bin', 'graph/exclusions.bin', 'candidates/two-hop.bin', 'lists/static.bin'];
    for (const name of shown) assert.equal(b.manifest.artifacts[name].sha256, a.manifest.artifacts[name].sha256, name);
    const lists = await readFile(join(fromDb, 'lists/static.bin'));
    assert.ok(lists.length > 1500 * 4, 'the lists are not empty');
  });

  test('a watermark reads only later events, in the query itself; the folder with the same watermark agrees', async () => {
    const all = await loadDataset(data);
    const ts = Array.from(all.events.ts).sort((x, y) => x - y);
    const since = ts[Math.floor(ts.length / 2)];
    const files = await loadDataset(data, { eventsSince: since });
    const db = await openSource(schemaUrl(schema)).load({ eventsSince: since });
    assert.ok(db.events.count > 0 && db.events.count < all.events.count);
    assert.deepEqual(columns(db).events, columns(files).events);
    assert.ok(Array.from(db.events.ts).every((t) => t > since));
    const dbEvents = db.report.files.find((f) => f.kind === 'events')!;
    assert.equal(dbEvents.rowsRead, db.events.count, 'older rows were filtered by PostgreSQL, not sent');
    assert.equal(files.report.files.find((f) => f.kind === 'events')!.skipped.before_watermark, all.events.count - files.events.count);
  });

  test('load-postgres refuses to overwrite existing tables unless told to; an unknown scheme names the known ones', async () => {
    await assert.rejects(loadIntoPostgres(schemaUrl(schema), await loadDataset(data)), (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_PARAM' && /already has .*users.*--replace/.test(e.message));
    assert.throws(() => openSource('mysql://x/y'), (e: unknown) => isPymkError(e) && e.code === 'PYMK_UNKNOWN_NAME' && /file, postgres, postgresql/.test(e.message));
    assert.equal(openSource(`file://${data}`).label, data);
  });

  test('the fingerprint follows the rows: unchanged tables resume, one changed row starts over', async () => {
    const source = openSource(schemaUrl(schema));
    const before1 = await source.fingerprint();
    assert.equal((await source.fingerprint()).sha256, before1.sha256);
    await sql(`UPDATE "${schema}".connections SET ts = ts + interval '1 second' WHERE seq = 7`);
    try {
      assert.notEqual((await source.fingerprint()).sha256, before1.sha256);
    } finally {
      await sql(`UPDATE "${schema}".connections SET ts = ts - interval '1 second' WHERE seq = 7`);
    }
    assert.equal((await source.fingerprint()).sha256, before1.sha256);
  });

  describe('bad rows in tables', () => {
    before(async () => {
      // The user's own layout: text columns everywhere, so wrong types can get in, mapped in the config.
      await sql(`CREATE SCHEMA "${bad}"`);
      await sql(`CREATE TABLE "${bad}".people (pk int, uid text, employer text, level int, since text, gone boolean)`);
      await sql(`CREATE TABLE "${bad}".links (pk int, a text, b text, at text)`);
      await sql(`CREATE TABLE "${bad}".activity (pk int, at bigint, kind text, who text, whom text)`);
      const people = Array.from({ length: 40 }, (_, i) => `(${i + 1}, 'p${i}', 'Acme', ${i % 5}, '2023-01-0${1 + (i % 9)}', false)`);
      people.push(`(41, NULL, 'Acme', 1, NULL, false)`, `(42, 'p1', 'Dup', 1, NULL, false)`, `(43, 'p99', 'X', 2, 'soon', false)`, `(44, 'p98', 'X', 11, NULL, false)`);
      await sql(`INSERT INTO "${bad}".people VALUES ${people.join(', ')}`);
      // 60 distinct pairs: (p_i, p_i+1) for i < 39, then (p_i, p_i+2) for i < 21.
      const links = Array.from({ length: 60 }, (_, i) => (i < 39 ? [i, i + 1] : [i - 39, i - 37])).map(([u, v], i) => `(${i + 1}, 'p${u}', 'p${v}', '1700000000')`);
      links.push(
        `(61, 'p3', 'p3', '1700000000')`, // self-loop
        `(62, 'p0', 'p1', '1700000000')`, // duplicate of row 1
        `(63, NULL, 'p2', '1700000000')`, // null id
        `(64, 'p4', 'ghost', '1700000000')`, // dangling: no users row
        `(65, 'p5', 'p6', 'yesterday')`, // wrong type in a text column
        `(66, E'p\\nx', 'p6', NULL)`, // a line break inside an id
      );
      await sql(`INSERT INTO "${bad}".links VALUES ${links.join(', ')}`);
      await sql(`INSERT INTO "${bad}".activity VALUES (1, 1700000100, 'impression', 'p1', 'p2'), (2, NULL, 'impression', 'p1', 'p2'), (3, 1700000100, 'wave', 'p1', 'p2'), (4, 1700000100, 'dismiss', 'p1', NULL), (5, 1700000100, 'block', 'p2', 'p2')`);
    });

    const mapping = {
      users: { table: 'people', order: 'pk', columns: { id: 'uid', company: 'employer', seniority: 'level', joined_at: 'since', deactivated: 'gone', school: null, location: null, industry: null, banned: null } },
      connections: { table: 'links', order: 'pk', columns: { src: 'a', dst: 'b', ts: 'at' } },
      events: { table: 'activity', order: 'pk', columns: { ts: 'at', type: 'kind', actor: 'who', target: 'whom' } },
    };

    test('are rejected or dropped with counts by reason and the table and row named, never turned into users', async () => {
      const rejects: Reject[] = [];
      const w = await openSource(schemaUrl(bad), { postgres: mapping }).load({ maxBadRows: 10, onReject: (r) => rejects.push(r) });
      const [users, links, activity] = w.report.files;
      assert.deepEqual(users.skipped, { missing_id: 1, duplicate_id: 1, bad_joined_at: 1, bad_seniority: 1 });
      assert.deepEqual(links.skipped, { self_loop: 1, duplicate_pair: 1, empty_id: 1, bad_ts: 1, bad_id: 1 });
      assert.deepEqual(links.flagged, { unknown_user: 1 });
      assert.deepEqual(activity.skipped, { missing_ts: 1, unknown_event_type: 1, missing_target: 1, actor_is_target: 1 });
      assert.equal(w.ids.lookup('p99'), -1, 'a rejected profile row makes no user');
      assert.equal(w.ids.lookup('p\nx'), -1);
      assert.ok(w.ids.lookup('ghost') >= 0, "a dangling id is kept and flagged with unknownUsers 'keep'");
      const byReason = Object.fromEntries(rejects.map((r) => [r.reason, r]));
      assert.deepEqual([byReason.missing_id.file, byReason.missing_id.line], [`postgres:${bad}.people`, 41]);
      assert.deepEqual([byReason.bad_ts.file, byReason.bad_ts.line, byReason.bad_ts.text], [`postgres:${bad}.links`, 65, 'p5,p6,yesterday']);
      assert.match(byReason.bad_joined_at.message, /joined_at.*soon/);
      assert.match(byReason.bad_seniority.message, /seniority.*11/);
      assert.equal(w.profiles.joinedAt[w.ids.lookup('p2')], Date.UTC(2023, 0, 3) / 1000, 'an ISO date in a text column is a time');
      assert.deepEqual([byReason.missing_ts.file, byReason.missing_ts.line], [`postgres:${bad}.activity`, 2]);
      assert.equal(rejects.length, 4 + 3 + 4, 'every malformed row is listed; self-loops and duplicates are dropped by rule');
    });

    test("with unknownUsers 'reject' a dangling id is a rejected row", async () => {
      const rejects: Reject[] = [];
      const w = await openSource(schemaUrl(bad), { postgres: { ...mapping, unknownUsers: 'reject' } }).load({ maxBadRows: 10, onReject: (r) => rejects.push(r) });
      assert.equal(w.report.files[1].skipped.unknown_user, 1);
      assert.equal(w.ids.lookup('ghost'), -1);
      assert.ok(rejects.some((r) => r.reason === 'unknown_user' && r.line === 64));
    });

    test('too many bad rows fail the run with the counts, and nothing is published', async () => {
      const out = join(root, 'b-bad');
      const source = openSource(schemaUrl(bad), { postgres: mapping });
      await assert.rejects(
        runPipeline({ out, stages: defaultStages({ ...PARAMS, maxBadRows: 2 }, { source }), inputs: { data: source }, params: { ...PARAMS, maxBadRows: 2 }, ...quiet }),
        (e: unknown) => isPymkError(e) && e.code === 'PYMK_STAGE_FAILED' && /PYMK_TOO_MANY_BAD_ROWS.*postgres:.*people.*more than 2 malformed rows.*missing_id 1/s.test(e.message),
      );
      assert.equal(existsSync(out), false);
      assert.equal(existsSync(stagingDir(out)), false);
    });

    test('a missing table or column is PYMK_BAD_INPUT naming it; a wrong mapping key is PYMK_CONFIG', async () => {
      await assert.rejects(openSource(schemaUrl(bad), { postgres: { connections: { table: 'nope' } } }).load(), (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.includes(`postgres:${bad}.nope: connections table not found`));
      await assert.rejects(
        openSource(schemaUrl(bad), { postgres: { ...mapping, connections: { table: 'links', columns: { src: 'a', dst: 'bb' } } } }).load(),
        (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && /links: no column 'bb' for the connections field 'dst' \(the table has: pk, a, b, at\)/.test(e.message),
      );
      assert.throws(() => openSource(schemaUrl(bad), { postgres: { connections: { tabel: 'x' } } as never }), (e: unknown) => isPymkError(e) && e.code === 'PYMK_CONFIG' && /tabel/.test(e.message));
    });

    test('a read that fails midway fails the run; the bundle already there stays and nothing half-built is published', async () => {
      // A view whose 30th row raises an error inside the database after rows have been streamed.
      await sql(`CREATE VIEW "${bad}".broken AS SELECT pk, a, b, CASE WHEN pk = 30 THEN (1 / (pk - 30))::text ELSE at END AS at FROM "${bad}".links`);
      const source = openSource(schemaUrl(bad), { postgres: { ...mapping, connections: { ...mapping.connections, table: 'broken' } } });
      let rows = 0;
      await assert.rejects(
        source.load({ maxBadRows: 10, onReject: () => rows++ }),
        (e: unknown) => isPymkError(e) && e.code === 'PYMK_SOURCE_UNAVAILABLE' && /division by zero/.test(e.message) && e.message.includes('COPY'),
      );
      const out = join(root, 'b-broken');
      const good = openSource(schemaUrl(schema));
      const first = await runPipeline({ out, stages: defaultStages(PARAMS, { source: good }), inputs: { data: good }, params: PARAMS, ...quiet });
      await assert.rejects(
        runPipeline({ out, stages: defaultStages(PARAMS, { source }), inputs: { data: source }, params: PARAMS, ...quiet }),
        (e: unknown) => isPymkError(e) && e.code === 'PYMK_SOURCE_UNAVAILABLE' && /division by zero/.test(e.message),
      );
      assert.equal(existsSync(stagingDir(out)), false);
      const still = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { version: string };
      assert.equal(still.version, first.manifest.version);
    });

    test('an unreachable database is PYMK_SOURCE_UNAVAILABLE naming the URL without its password', async () => {
      const src = openSource('postgres://pymk:secret@127.0.0.1:1/nowhere');
      assert.equal(src.label, 'postgres://pymk:***@127.0.0.1:1/nowhere');
      await assert.rejects(src.load(), (e: unknown) => isPymkError(e) && e.code === 'PYMK_SOURCE_UNAVAILABLE' && e.message.includes('pymk:***@127.0.0.1:1') && !e.message.includes('secret'));
    });
  });
});
