/**
 * The input options `pymk pipeline` and `pymk eval` share: a dataset folder (`--data DIR`) or a bare edge
 * list (`--connections FILE`: CSV, TSV or whitespace-separated, header optional), and `--columns` naming the
 * connection file's columns when they are not `src dst [ts]`.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { PymkError } from '../../core/errors.js';
import type { EdgeColumns } from '../../data/readers/edgeList.js';

export interface SourceFlags {
  data?: string;
  connections?: string;
  columns?: EdgeColumns;
}

export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'dataset folder (docs/formats.md)')
    .option('--connections <file>', 'an edge list instead of a dataset folder: "src dst [ts]" per line, comma, tab or space separated, header optional')
    .option('--columns <src,dst[,ts]>', "the connection file's columns, 0-based (e.g. 0,1,3 for SNAP's src,dst,rating,time)", parseColumns);
}

/** The input path: exactly one of --data DIR or --connections FILE, checked for what it must be. */
export function sourcePath(f: SourceFlags): string {
  if (!f.data === !f.connections) throw new PymkError('PYMK_BAD_PARAM', 'pass exactly one of --data DIR (a dataset folder) or --connections FILE (an edge list)');
  const path = (f.data ?? f.connections)!;
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new PymkError('PYMK_BAD_INPUT', `${path}: not found`, { path });
  }
  if (f.connections && !st.isFile()) throw new PymkError('PYMK_BAD_INPUT', `--connections ${path}: expected an edge-list file, got a folder (use --data)`, { path });
  if (f.data && !st.isDirectory()) throw new PymkError('PYMK_BAD_INPUT', `--data ${path}: expected a dataset folder, got a file (use --connections)`, { path });
  return path;
}

export function parseColumns(v: string): EdgeColumns {
  const c = v.split(',').map((s) => Number(s.trim()));
  if ((c.length !== 2 && c.length !== 3) || c.some((x) => !Number.isInteger(x) || x < 0) || new Set(c).size !== c.length) {
    throw new PymkError('PYMK_BAD_PARAM', `--columns must be SRC,DST or SRC,DST,TS: distinct 0-based column numbers, got '${v}'`);
  }
  return c.length === 3 ? { src: c[0], dst: c[1], ts: c[2] } : { src: c[0], dst: c[1] };
}
