/**
 * `pymk eval (--data DIR | --connections FILE [--columns S,D[,T]]) [--split random|temporal] [--test-frac F] [--cut TS] [--k 10,20,50,100]
 *            [--methods random,pa,cn,jaccard,aa,ra] [--users N] [--pairs N] [--seed S] [--out FILE.json]`:
 * offline link-prediction evaluation of the registered methods (src/eval/protocol.ts). Prints a markdown
 * report; with --out writes the JSON there and the markdown next to it (FILE.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { PymkError } from '../../core/errors.js';
import { loadDataset } from '../../data/load.js';
import { DEFAULT_KS, DEFAULT_METHODS, SPLITS, runEval, type EvalResult } from '../../eval/protocol.js';
import { scoreServed, SPLIT_FILES, writeSplit } from '../../eval/served.js';
import { getMethod, methodNames } from '../../eval/methods.js';
import '../../embed/evalMethods.js'; // registers 'embed' and '2hop+embed'
import '../../rank/evalMethods.js'; // registers rank-blend-int8, rank-mlp-int8, rank-mlp, rank-gbdt
import { formatMarkdown, toReport } from '../../eval/report.js';
import { intOption, type CommandModule } from '../command.js';
import { addSourceOptions, sourcePath, type SourceFlags } from './dataSource.js';

interface EvalFlags extends SourceFlags {
  split: string;
  testFrac: number;
  cut?: number;
  k?: number[];
  methods?: string[];
  users: number;
  pairs: number;
  seed: number;
  keepConnected?: boolean;
  out?: string;
  note?: string;
  quiet?: boolean;
  writeSplit?: string;
  splitDir?: string;
  recommendations?: string;
}

/** `--split-dir DIR --recommendations FILE`: what `pymk recommend` served, scored against the hidden edges, next to AA. */
async function scoreServedCommand(f: EvalFlags): Promise<void> {
  if (f.splitDir === undefined || f.recommendations === undefined) throw new PymkError('PYMK_BAD_PARAM', '--split-dir DIR and --recommendations FILE go together');
  if (f.data !== undefined || f.connections !== undefined || f.writeSplit !== undefined) throw new PymkError('PYMK_BAD_PARAM', '--split-dir scores a written split: no --data, --connections or --write-split');
  const ks = f.k ?? [20];
  const result = await scoreServed(f.splitDir, f.recommendations, ks);
  if (result.missing > 0) console.error(`pymk eval: ${result.missing} of ${result.counts.queryUsers} query users have no recommendations in ${f.recommendations} (counted as empty lists)`);
  await emit(result, f, { missing: result.missing });
}

/** Prints the markdown report; with --out writes the JSON there and the markdown next to it. */
async function emit(result: EvalResult, f: EvalFlags, extra: Record<string, unknown> = {}): Promise<void> {
  const report = { ...toReport(result, { command: ['pymk', ...process.argv.slice(2)].map(shellWord).join(' '), note: f.note }), ...extra };
  const md = formatMarkdown(report);
  process.stdout.write(md);
  if (f.out) {
    await mkdir(dirname(f.out), { recursive: true });
    await writeFile(f.out, JSON.stringify(report, null, 2) + '\n');
    const mdPath = f.out.replace(/\.json$/i, '') + '.md';
    await writeFile(mdPath, md);
    if (!f.quiet) process.stderr.write(`wrote ${f.out} and ${mdPath}\n`);
  }
}

export const evalCommand: CommandModule = {
  register(program: Command): void {
    addSourceOptions(
      program
        .command('eval')
        .description('offline link-prediction evaluation: split the connections, rank, report Recall/NDCG/Hits/MRR and AUC/AP'),
    )
      .option('--split <kind>', `how to hold out connections: ${SPLITS.join(' | ')} (temporal on data without times falls back to random)`, 'random')
      .option('--test-frac <f>', 'fraction of connections held out (temporal: the latest)', fraction, 0.1)
      .option('--cut <ts>', 'temporal split at this time (epoch seconds or ISO 8601) instead of --test-frac', timestamp)
      .option('--k <list>', `cut-offs K, comma-separated (default: ${DEFAULT_KS.join(',')})`, intList)
      .option('--methods <list>', `methods, comma-separated (default: ${DEFAULT_METHODS.join(',')}; registered: ${methodNames().join(', ')})`, nameList)
      .option('--users <n>', 'query users sampled (0 = all eligible)', intOption('--users', 0), 1000)
      .option('--pairs <n>', 'held-out pairs (and as many non-connected pairs) for AUC/AP; 0 = skip', intOption('--pairs', 0), 10_000)
      .option('--seed <n>', 'seed for the random split and the samples', intOption('--seed', 0), 1)
      .option('--keep-connected', 'random split: keep the training graph connected (node2vec protocol)')
      .option('--out <file>', 'write the JSON results here and the markdown next to it')
      .option('--note <text>', 'a line for the report, e.g. how the data was made')
      .option('--quiet', 'no progress on stderr')
      .option('--write-split <dir>', "write the split instead of evaluating: DIR/train.csv (build a bundle from it), hidden.csv, users.txt (the query users), split.json")
      .option('--split-dir <dir>', 'score served recommendations (--recommendations) against the hidden edges of a split written by --write-split')
      .option('--recommendations <file>', 'with --split-dir: the JSON lines of `pymk recommend --users DIR/users.txt`')
      .action(async (f: EvalFlags) => {
        if (f.splitDir !== undefined || f.recommendations !== undefined) return scoreServedCommand(f);
        if (f.split !== 'temporal' && f.split !== 'random') throw new PymkError('PYMK_BAD_PARAM', `--split must be one of: ${SPLITS.join(', ')}`);
        if (f.cut !== undefined && f.split !== 'temporal') throw new PymkError('PYMK_BAD_PARAM', '--cut needs --split temporal');
        const methods = f.methods ?? DEFAULT_METHODS;
        for (const m of methods) getMethod(m); // an unknown name fails before the data is read
        const log = f.quiet ? (): void => {} : (s: string): void => void process.stderr.write(s);
        const t0 = Date.now();
        const data = sourcePath(f);
        log(`loading ${data}…\n`);
        const world = await loadDataset(data, { columns: f.columns });
        const name = world.report.name ?? basename(data);
        log(`${name}: ${world.ids.size} users, ${world.connections.count} connections (${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
        if (f.writeSplit !== undefined) {
          const meta = await writeSplit(world, name, f.writeSplit, { split: f.split, testFrac: f.testFrac, cut: f.cut, keepConnected: f.keepConnected, users: f.users, seed: f.seed });
          if (meta.split.fallback) console.error(`pymk eval: ${meta.split.fallback}`);
          const d = f.writeSplit;
          console.log(
            `${meta.split.kind} split (seed ${meta.split.seed}): ${meta.counts.trainEdges} training edges, ${meta.counts.hiddenEdges} hidden${cold(meta.counts.coldHiddenEdges)}, ${meta.counts.queryUsers} query users, in ${d}. Next:\n` +
              `  pymk pipeline --connections ${join(d, SPLIT_FILES.train)} --out BUNDLE\n` +
              `  pymk recommend --bundle BUNDLE --users ${join(d, SPLIT_FILES.users)} --limit 20 > recs.jsonl\n` +
              `  pymk eval --split-dir ${d} --recommendations recs.jsonl`,
          );
          return;
        }
        const result = await runEval(
          { name, n: world.ids.size, edges: world.connections, world },
          {
            split: f.split,
            testFrac: f.testFrac,
            cut: f.cut,
            keepConnected: f.keepConnected,
            ks: f.k ?? DEFAULT_KS,
            methods,
            users: f.users,
            pairs: f.pairs,
            seed: f.seed,
            onProgress: (method, done, total) => log(`\r  ${method}: ${done}/${total} users${done === total ? '\n' : ''}`),
          },
        );
        if (result.split.fallback) console.error(`pymk eval: ${result.split.fallback}`);
        await emit(result, f);
      });
  },
};

function fraction(v: string): number {
  const x = Number(v);
  if (!(x > 0 && x < 1)) throw new InvalidArgumentError(`--test-frac must be a number in (0, 1), got '${v}'`);
  return x;
}

function timestamp(v: string): number {
  const x = /^\d+$/.test(v) ? Number(v) : Date.parse(v) / 1000;
  if (!Number.isFinite(x) || x <= 0 || x > 0xffffffff) throw new InvalidArgumentError(`--cut must be epoch seconds or an ISO 8601 time, got '${v}'`);
  return Math.floor(x);
}

function intList(v: string): number[] {
  const ks = v.split(',').map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new InvalidArgumentError(`--k must be positive integers separated by commas, got '${v}'`);
  return ks;
}

function nameList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An argument as it would be typed: quoted when it holds spaces or quotes. */
function shellWord(a: string): string {
  return /[\s"'$`\\]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a;
}

/** The split message's note on held-out edges left out because an endpoint has no training connection. */
function cold(count: number | undefined): string {
  return count ? ` (and ${count} more left out: an endpoint has no training connection, so no recommender can reach them)` : '';
}
