import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary } from '../../src/core/dictionary.js';
import { isPymkError } from '../../src/core/errors.js';
import { getProfile } from '../../src/core/tables.js';
import { IdInterner } from '../../src/data/readers/ids.js';
import { fitProfiles, readProfiles } from '../../src/data/readers/profiles.js';
import { tempFile } from './fixtures.js';

async function read(name: string, body: string, maxBadRows?: number) {
  const ids = new Dictionary();
  const r = await readProfiles(tempFile(name, body), new IdInterner(ids), { maxBadRows });
  const t = fitProfiles(r.profiles, ids.size);
  const all = ids.toArray().map((id, uid) => getProfile(t, uid, id));
  return { all, report: r.report, ids };
}

const line = (o: object): string => JSON.stringify(o) + '\n';

test('JSONL profiles: all fields, nulls and defaults, numeric ids as text, ISO joined_at', async () => {
  const r = await read(
    'users.jsonl',
    line({ id: 'u1', company: 'Acme', school: 'MIT', location: 'Berlin', industry: 'Software', seniority: 10, joined_at: 1672531200, deactivated: false, banned: true }) +
      '\r\n' +
      line({ id: 42, company: null, seniority: null, joined_at: '2023-01-01' }),
  );
  assert.deepEqual(r.all, [
    { id: 'u1', company: 'Acme', school: 'MIT', location: 'Berlin', industry: 'Software', seniority: 10, joinedAt: 1672531200, deactivated: false, banned: true },
    { id: '42', company: null, school: null, location: null, industry: null, seniority: null, joinedAt: 1672531200, deactivated: false, banned: false },
  ]);
  assert.equal(r.report.rowsRead, 2);
  assert.equal(r.report.rowsKept, 2);
});

test('JSONL bad rows: each skipped with the field and what was expected; unknown fields noted once', async () => {
  const body = [
    line({ id: 'ok1', hobby: 'chess' }),
    line({ id: 'u2', seniority: 'x' }),
    line({ id: 'u3', seniority: 11 }),
    line({ company: 'NoId' }),
    '{"id": "u5", oops}\n',
    line({ id: 'u6', company: 42 }),
    '[1,2]\n',
    line({ id: 'ok1' }),
    line({ id: 'u9', joined_at: 'yesterday' }),
    line({ id: 'u10', banned: 'yes' }),
    line({ id: 'ok2', hobby: 'go', pet: 'cat' }),
    line({ id: 1.5 }),
  ].join('');
  const r = await read('users.jsonl', body, 100);
  assert.deepEqual(r.ids.toArray(), ['ok1', 'ok2']);
  assert.deepEqual(r.report.skipped, {
    bad_seniority: 2,
    missing_id: 1,
    invalid_json: 1,
    bad_company: 1,
    not_object: 1,
    duplicate_id: 1,
    bad_joined_at: 1,
    bad_banned: 1,
    bad_id: 1,
  });
  assert.equal(r.report.rowsRead, 12);
  assert.equal(r.report.rowsKept, 2);
  assert.match(r.report.samples[0], /users\.jsonl:2: field 'seniority' must be an integer 0\.\.10 or null, got "x"$/);
  assert.match(r.report.samples[1], /users\.jsonl:3: field 'seniority' must be an integer 0\.\.10 or null, got 11$/);
  assert.match(r.report.samples[2], /users\.jsonl:4: field 'id' is required: a non-empty string or an integer$/);
  assert.match(r.report.samples[3], /users\.jsonl:5: expected one JSON object per line: /);
  assert.match(r.report.samples[4], /users\.jsonl:6: field 'company' must be a string or null, got 42$/);
  assert.deepEqual(r.report.notes, ["unknown field 'hobby' ignored (first on line 1)", "unknown field 'pet' ignored (first on line 11)"]);
});

test('CSV profiles: header names the columns (any order), quoted values, booleans, empty = null', async () => {
  const r = await read(
    'users.csv',
    'school,id,company,seniority,deactivated,banned,joined_at,extra\r\n' +
      '"Uni ""North""",a,"Acme, Inc.",3,true,0,2023-01-01,x\r\n' +
      ',b,,,,1,,\r\n' +
      'MIT,c,Globex,ten,,,,\r\n' +
      'MIT,d,Globex\r\n',
    100,
  );
  assert.deepEqual(r.all, [
    { id: 'a', company: 'Acme, Inc.', school: 'Uni "North"', location: null, industry: null, seniority: 3, joinedAt: 1672531200, deactivated: true, banned: false },
    { id: 'b', company: null, school: null, location: null, industry: null, seniority: null, joinedAt: null, deactivated: false, banned: true },
  ]);
  assert.deepEqual(r.report.skipped, { bad_seniority: 1, wrong_column_count: 1 });
  assert.match(r.report.samples[0], /users\.csv:4: field 'seniority' must be an integer 0\.\.10 or null, got "ten"$/);
  assert.match(r.report.samples[1], /users\.csv:5: expected 8 columns as in the header, got 3$/);
  assert.deepEqual(r.report.notes, ["unknown field 'extra' ignored (first on line 1)"]);
});

test('a CSV without an id column in its header is PYMK_BAD_INPUT naming file and line', async () => {
  await assert.rejects(read('users.csv', 'company,school\nAcme,MIT\n'), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && /users\.csv:1: expected a header line/.test(e.message));
});

test('empty profile files read as no profiles', async () => {
  for (const name of ['users.jsonl', 'users.csv']) {
    const r = await read(name, '');
    assert.equal(r.all.length, 0);
    assert.equal(r.report.rowsRead, 0);
  }
});

test('profile rows past maxBadRows abort with PYMK_TOO_MANY_BAD_ROWS', async () => {
  const body = line({ id: 'a' }) + line({ id: 'b', seniority: -1 }).repeat(3);
  await assert.doesNotReject(read('users.jsonl', body, 3));
  await assert.rejects(read('users.jsonl', body, 2), (e) => isPymkError(e) && e.code === 'PYMK_TOO_MANY_BAD_ROWS' && e.message.includes('users.jsonl'));
});

test('fitProfiles grows with missing rows and cuts to n', async () => {
  const r = await read('users.jsonl', line({ id: 'a', company: 'X', seniority: 2 }));
  const ids = new Dictionary();
  const t = (await readProfiles(tempFile('u.jsonl', line({ id: 'a', company: 'X', seniority: 2 })), new IdInterner(ids))).profiles;
  assert.ok(t.n > 1, 'the reader over-allocates');
  const one = fitProfiles(t, 1);
  assert.equal(one.n, 1);
  assert.deepEqual(getProfile(one, 0, 'a'), r.all[0]);
  const three = fitProfiles(one, 3);
  assert.equal(three.n, 3);
  assert.equal(getProfile(three, 2, 'z').company, null);
  assert.equal(three.seniority[2], -1);
});

test('the fast path and the general path agree: escaped and plain spellings of one profile read the same', async () => {
  const plain = '{"id":"a","company":"Acme","school":"MIT","location":"Köln","industry":"","seniority":4,"joined_at":1672531200,"deactivated":true,"banned":null}';
  const general = '{"id":"\\u0061","company":"Ac\\u006de","school":"MIT","location":"K\\u00f6ln","industry":"","seniority":4.0,"joined_at":"2023-01-01","deactivated":true}';
  const a = await read('users.jsonl', plain + '\n');
  const b = await read('users.jsonl', general + '\n');
  assert.deepEqual(a.all, b.all);
  assert.deepEqual(a.all[0], { id: 'a', company: 'Acme', school: 'MIT', location: 'Köln', industry: null, seniority: 4, joinedAt: 1672531200, deactivated: true, banned: false });
  const dup = await read('users.jsonl', plain + '\n' + general + '\n', 1);
  assert.deepEqual(dup.report.skipped, { duplicate_id: 1 });
  const bad = await read('users.jsonl', '{"id":"z","seniority":11}\n{"id":"y","joined_at":99999999999}\n{"id":12345678901234567890}\n', 3);
  assert.deepEqual(bad.ids.toArray(), [], 'rows the fast path declines register no id before the general path rejects them');
  assert.deepEqual(bad.report.skipped, { bad_seniority: 1, bad_joined_at: 1, bad_id: 1 });
});
