/**
 * The ingest stage through the runner: every rejected row in data/rejects.jsonl, the first five logged, counts
 * by reason in the log line and the manifest's metrics; a failed ingest leaves neither a bundle nor a staging
 * folder; maxBadRows takes "P%".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { parsePipelineFile } from '../../src/pipeline/config.js';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import { ingestStage } from '../../src/pipeline/stages/ingest.js';

function dataset(files: Record<string, string>): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'pymk-ingest-'));
  const data = join(root, 'data');
  mkdirSync(data, { recursive: true });
  for (const [n, body] of Object.entries(files)) writeFileSync(join(data, n), body);
  return { root, data };
}

const good = (n: number): string => Array.from({ length: n }, (_, i) => `u${i},u${i + 1},${1700000000 + i}\n`).join('');

test('rejected rows: all in data/rejects.jsonl, five logged, counted by reason in the log and the metrics', async () => {
  const bad = ['u1,u2,notatime', 'only', 'x\u0000y,u1', 'this is not,a valid"line', 'u3,u4,soon', 'u5,u6,later', 'a,b,c,d'];
  const { root, data } = dataset({
    'connections.csv': good(1000) + bad.join('\n') + '\n',
    'users.jsonl': Array.from({ length: 100 }, (_, i) => `{"id":"u${i}"}\n`).join('') + '{"id":"u2"\n',
  });
  try {
    const lines: string[] = [];
    const out = join(root, 'bundle');
    const r = await runPipeline({ out, stages: [ingestStage({ maxBadRows: '2%' })], inputs: { data }, params: {}, progress: 'silent', log: (l) => lines.push(l) });
    const b = await openBundle(out, { verify: 'full' });
    const rejects = (await b.readBytes('data/rejects.jsonl')).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; reason: string; text: string });
    assert.deepEqual(rejects.map((x) => [x.file.split('/').pop(), x.line, x.reason]), [
      ['users.jsonl', 101, 'invalid_json'],
      ['connections.csv', 1001, 'bad_ts'],
      ['connections.csv', 1002, 'wrong_column_count'],
      ['connections.csv', 1003, 'bad_id'],
      ['connections.csv', 1004, 'stray_quote'],
      ['connections.csv', 1005, 'bad_ts'],
      ['connections.csv', 1006, 'bad_ts'],
      ['connections.csv', 1007, 'wrong_column_count'],
    ]);
    assert.equal(rejects[3].text, 'x\u0000y,u1');
    assert.equal(lines.filter((l) => /^\[ingest\] rejected .*:\d+: /.test(l)).length, 5, 'the first five on the log');
    const summary = lines.find((l) => /rows rejected/.test(l)) ?? '';
    assert.match(summary, /8 rows rejected \(invalid_json 1, bad_ts 3, wrong_column_count 2, bad_id 1, stray_quote 1\), all listed in data\/rejects\.jsonl/);
    const m = r.manifest.stages[0].metrics as { rowsRejected: number; rejected: Record<string, number>; skippedByFile: Record<string, Record<string, number>> };
    assert.equal(m.rowsRejected, 8);
    assert.deepEqual(m.rejected, { invalid_json: 1, bad_ts: 3, wrong_column_count: 2, bad_id: 1, stray_quote: 1 });
    assert.deepEqual(m.skippedByFile['users.jsonl'], { invalid_json: 1 });
    assert.equal((await b.readJson<string[]>('users/ids.json')).includes('this is not'), false);
    assert.ok(lines.some((l) => /warning: .*connections\.csv: \d+ rows name users absent from the profile file/.test(l)), 'unknown users are a warning');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failed ingest leaves no bundle and no staging folder, and names the file', async () => {
  const { root, data } = dataset({ 'connections.csv': '' });
  try {
    const out = join(root, 'bundle');
    await assert.rejects(runPipeline({ out, stages: [ingestStage()], inputs: { data }, params: {}, progress: 'silent', log: () => {} }), (e) => isPymkError(e) && e.code === 'PYMK_STAGE_FAILED' && e.message.includes(`${join(data, 'connections.csv')}: no valid connections`));
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(stagingDir(out)), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('maxBadRows in the pipeline config takes an integer or "P%"; anything else is rejected', () => {
  assert.deepEqual(parsePipelineFile({ maxBadRows: '5%' }), { maxBadRows: '5%' });
  assert.deepEqual(parsePipelineFile({ maxBadRows: 12 }), { maxBadRows: 12 });
  assert.throws(() => parsePipelineFile({ maxBadRows: 'lots' }), (e) => isPymkError(e) && e.code === 'PYMK_CONFIG' && /maxBadRows/.test(e.message));
  assert.throws(() => parsePipelineFile({ maxBadRows: '150%' }), (e) => isPymkError(e) && /at most 100%/.test(e.message));
});
