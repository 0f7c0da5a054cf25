import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAD_TS, csvField, parseIso, parseTimestamp, splitCsv } from '../../src/data/readers/fields.js';

test('parseTimestamp reads epoch seconds, floors fractions, treats empty as unknown and rejects the rest', () => {
  assert.equal(parseTimestamp('1700000000'), 1700000000);
  assert.equal(parseTimestamp('1700000000.9'), 1700000000);
  assert.equal(parseTimestamp(''), 0);
  assert.equal(parseTimestamp('4294967295'), 4294967295);
  for (const bad of ['4294967296', '1700000000000', '-5', '0x10', '1e9', 'abc', '17.', '12:30']) {
    assert.equal(parseTimestamp(bad), BAD_TS, bad);
  }
});

test('parseIso reads dates and date-times as UTC unless a zone is given, and rejects impossible dates', () => {
  const utc = (s: string): number => Date.parse(s) / 1000;
  assert.equal(parseTimestamp('2023-01-01'), utc('2023-01-01T00:00:00Z'));
  assert.equal(parseIso('2023-06-15T12:34:56'), utc('2023-06-15T12:34:56Z'));
  assert.equal(parseIso('2023-06-15 12:34:56Z'), utc('2023-06-15T12:34:56Z'));
  assert.equal(parseIso('2023-06-15T12:34:56.789Z'), utc('2023-06-15T12:34:56Z'));
  assert.equal(parseIso('2023-06-15T12:34:56+02:00'), utc('2023-06-15T10:34:56Z'));
  assert.equal(parseIso('2023-06-15T12:34-0130'), utc('2023-06-15T14:04:00Z'));
  for (const bad of ['2023-02-30', '2023-13-01', '2023-01-01T25:00', '1969-12-31T23:59:59Z', '2023/01/01', '2023-01-01T']) {
    assert.equal(parseIso(bad), BAD_TS, bad);
  }
});

test('splitCsv handles quotes, doubled quotes, spaces around fields, and reports an open quote', () => {
  assert.deepEqual(splitCsv('a,b,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitCsv(' a , "b, inc." ,"say ""hi"""'), ['a', 'b, inc.', 'say "hi"']);
  assert.deepEqual(splitCsv('a,,'), ['a', '', '']);
  assert.deepEqual(splitCsv('x\ty', '\t'), ['x', 'y']);
  assert.equal(splitCsv('a,"open'), null);
  assert.equal(splitCsv('"a"b,c'), null);
});

test('csvField round-trips through splitCsv', () => {
  for (const v of ['plain', 'with,comma', 'with "quote"', ' padded ', 'tab\there', '']) {
    assert.deepEqual(splitCsv(`${csvField(v)},${csvField('x')}`), [v, 'x'], v);
  }
});
