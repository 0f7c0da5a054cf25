import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { scanLines } from '../../src/data/readers/lines.js';
import { isPymkError } from '../../src/core/errors.js';
import { tempFile } from './fixtures.js';

async function lines(path: string, chunkSize?: number): Promise<{ texts: string[]; nos: number[]; sha256: string }> {
  const texts: string[] = [];
  const nos: number[] = [];
  const r = await scanLines(path, (b, s, e, n) => (texts.push(b.toString('utf8', s, e)), nos.push(n)), undefined, { chunkSize });
  return { texts, nos, sha256: r.sha256 };
}

test('scanLines splits LF and CRLF lines, keeps a last line without newline, skips a BOM, numbers lines', async () => {
  const body = '\ufeffa b\r\n\r\nc,d\nlast';
  const p = tempFile('x.txt', body);
  const r = await lines(p);
  assert.deepEqual(r.texts, ['a b', '', 'c,d', 'last']);
  assert.deepEqual(r.nos, [1, 2, 3, 4]);
  assert.equal(r.sha256, createHash('sha256').update(Buffer.from(body)).digest('hex'));
});

test('scanLines gives the same lines whatever the chunk size (lines across reads, lines longer than a read)', async () => {
  const rows: string[] = [];
  for (let i = 0; i < 300; i++) rows.push(`${i} ${'x'.repeat(i % 37)} é ${i * 7}`);
  const body = rows.join('\r\n') + '\n';
  const p = tempFile('y.txt', body);
  for (const chunk of [4, 7, 64, 1000, 1 << 20]) {
    const r = await lines(p, chunk);
    assert.deepEqual(r.texts, rows, `chunk ${chunk}`);
  }
});

test('scanLines reads .gz files and hashes the compressed bytes', async () => {
  const body = Array.from({ length: 1000 }, (_, i) => `${i},${i + 1}`).join('\n');
  const gz = gzipSync(Buffer.from(body));
  const p = tempFile('e.csv.gz', gz);
  const r = await lines(p);
  assert.equal(r.texts.length, 1000);
  assert.equal(r.texts[999], '999,1000');
  assert.equal(r.sha256, createHash('sha256').update(gz).digest('hex'));
});

test('scanLines on an empty file visits nothing; a missing file is PYMK_BAD_INPUT naming it', async () => {
  assert.deepEqual((await lines(tempFile('empty.txt', ''))).texts, []);
  await assert.rejects(scanLines('/nonexistent/dir/file.csv', () => {}), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && e.message.includes('/nonexistent/dir/file.csv'));
});
