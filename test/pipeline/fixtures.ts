/** Small stages and temp folders for the pipeline tests. Stages count their invocations. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOptions } from '../../src/pipeline/runner.js';
import type { Stage } from '../../src/pipeline/stage.js';

export async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-pipeline-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** Counts per stage, and switches that make a stage fail. */
export interface Harness {
  calls: Record<string, number>;
  fail: Set<string>;
  stages: Stage[];
}

/**
 * Three stages: 'parse' turns the 'data' input (numbers, one per line) into an Int32Array artifact;
 * 'square' reads it and writes squares plus a JSON summary; 'total' sums the squares.
 */
export function harness(): Harness {
  const calls: Record<string, number> = { parse: 0, square: 0, total: 0 };
  const fail = new Set<string>();
  const enter = (name: string): void => {
    calls[name]++;
    if (fail.has(name)) throw new Error(`${name} was told to fail`);
  };
  const stages: Stage[] = [
    {
      name: 'parse',
      async run(ctx) {
        enter('parse');
        const text = await readFile(ctx.input('data'), 'utf8');
        const values = Int32Array.from(text.trim().split('\n').map(Number));
        await ctx.writeArrays('parse/values.bin', { values });
        ctx.setSchema('values', { dtype: 'int32', count: values.length });
        return { rows: values.length };
      },
    },
    {
      name: 'square',
      async run(ctx) {
        const { values } = await ctx.readArrays('parse/values.bin', { values: 'int32' });
        const squares = Float64Array.from(values, (v) => v * v);
        await ctx.writeArrays('squares.bin', { squares, index: Uint32Array.from(values, (_, i) => i) });
        enter('square'); // fails after writing, so the failed run leaves a stray artifact behind
        await ctx.writeJson('summary.json', { count: squares.length, scale: (ctx.params as { scale?: number } | null)?.scale ?? 1 });
        ctx.setSchema('squares', ['squares', 'index']);
        return { max: Math.max(...squares) };
      },
    },
    {
      name: 'total',
      async run(ctx) {
        enter('total');
        const { squares } = await ctx.readArrays('squares.bin', { squares: 'float64' });
        const summary = await ctx.readJson<{ scale: number }>('summary.json');
        let t = 0;
        for (const s of squares) t += s;
        await ctx.writeJson('total.json', { total: t * summary.scale });
        return { total: t * summary.scale };
      },
    },
  ];
  return { calls, fail, stages };
}

/** Run options with quiet logging and no progress output; `lines` collects log lines. */
export function quiet(out: string, stages: Stage[], data: string, extra: Partial<RunOptions> = {}): RunOptions & { lines: string[] } {
  const lines: string[] = [];
  return { out, stages, inputs: { data }, log: (l) => lines.push(l), progress: 'silent', lines, ...extra };
}
