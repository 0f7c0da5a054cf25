import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { PymkError } from '../../core/errors.js';
import { parseBadRowLimit, type BadRowLimit } from '../../data/load.js';
import { parseTimestamp } from '../../data/readers/fields.js';
import { openSource } from '../../data/sources/index.js';
import { openBundle } from '../../bundle/bundle.js';
import { stableJson } from '../../bundle/manifest.js';
import { embedByDefault, pipelineParams, readPipelineFile, sourceConfig, type PipelineFile } from '../../pipeline/config.js';
import { planDataset } from '../../data/readers/manifest.js';
import { bundleInput } from '../../pipeline/merge.js';
import { parsePartition, PARTITION_BLOCK, PARTITION_KINDS } from '../../pipeline/partition.js';
import { runPipeline, type RunOptions } from '../../pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, partitionStages, snapshotStages, type PipelineParams } from '../../pipeline/stages/index.js';
import { rulesOf } from '../../recommend/rules.js';
import { addSourceOptions, sourcePath, type SourceFlags } from './dataSource.js';
import { intOption, type CommandModule } from '../command.js';

interface Flags extends SourceFlags {
  snapshotOnly?: boolean;
  since?: string;
  incremental?: boolean;
  snapshot?: string;
  partition?: string;
  partitionBy: string;
  partitionBlock?: number;
  source?: string;
  eventsSince?: number;
  out: string;
  config?: string;
  candidates?: number;
  listK?: number;
  maxFanout?: number;
  maxBadRows?: BadRowLimit;
  unknownUsers?: 'keep' | 'reject';
  embed?: boolean;
  rank: boolean;
  resume: boolean;
}

export const pipelineCommand: CommandModule = {
  register(program: Command) {
    addSourceOptions(
      program
        .command('pipeline')
        .description('build a serving bundle from a dataset folder, an edge list or PostgreSQL: ingest → graph → (embed → ann) → candidates (2-hop) → pair features → (rank) → static lists'),
    )
      .option('--source <url>', 'where the dataset is read instead of --data/--connections: a folder path, or postgres://user@host:port/db[?schema=name] (docs/sources.md)')
      .option('--events-since <ts>', 'read only events after this time (epoch seconds or ISO 8601): the watermark of an earlier run', (v: string) => {
        const t = /^\d+$/.test(v) ? Number(v) : parseTimestamp(v);
        if (!(t > 0)) throw new PymkError('PYMK_BAD_PARAM', `--events-since must be epoch seconds or ISO 8601, got ${JSON.stringify(v)}`);
        return t;
      })
      .requiredOption('--out <dir>', 'bundle folder to write (replaced atomically on success)')
      .option('--since <bundle>', 'reuse every stage of this earlier bundle whose params and inputs (artifacts and data it read) are unchanged; rerun the rest')
      .option('--incremental', 'with --since: recompute the 2-hop candidates, pair features and static lists only of the users a change touches since that bundle, copy the others, keep its ranking model and its encoder (re-embedding only the users whose vectors it changes) and its ANN index (with a recent tier for the moved users) (docs/pipeline.md#incremental-runs)')
      .option('--snapshot-only', 'split runs: build only the shared snapshot (every stage but candidates, pair-features, lists)')
      .option('--snapshot <dir>', 'split runs: the shared snapshot the --partition run reads (instead of --data/--source)')
      .option('--partition <i/N>', 'split runs: compute the per-user stages for partition i of N only (then pymk merge)')
      .option('--partition-by <range|hash>', `how users are split into partitions: ${PARTITION_KINDS.join(' or ')}`, 'range')
      .option('--partition-block <n>', `users per partition block, a multiple of 256 (default ${PARTITION_BLOCK}); the same for every partition`, intOption('--partition-block', 256))
      .option('--config <file>', 'pipeline parameters as JSON (docs/pipeline.md); flags below override it')
      .option('--candidates <n>', `candidates kept per user (default ${PIPELINE_DEFAULTS.candidates.topN})`, intOption('--candidates', 1))
      .option('--list-k <n>', `static-list length per user (default ${PIPELINE_DEFAULTS.lists.k})`, intOption('--list-k', 1))
      .option('--max-fanout <n>', `sample through neighbours above this degree, 0 = walk all (default ${PIPELINE_DEFAULTS.candidates.maxFanout})`, intOption('--max-fanout', 0))
      .option('--max-bad-rows <N|P%>', 'abort the import when a file has more malformed rows than N, or than P% of its rows (default max(10, 1%), below half the rows)', (v: string) => parseBadRowLimit(v))
      .option('--unknown-users <keep|reject>', "rows naming users absent from a present profile file: keep (flagged) or reject (default: dataset.json's, else keep)", (v: string) => {
        if (v !== 'keep' && v !== 'reject') throw new PymkError('PYMK_BAD_PARAM', `--unknown-users must be keep or reject, got ${JSON.stringify(v)}`);
        return v;
      })
      .option('--embed', 'run the embedding and ANN stages (default: only when the dataset has a profile file)')
      .option('--no-embed', 'skip the embedding and ANN stages (no ANN candidates in serving)')
      .option('--no-rank', 'skip the ranking model (lists and serving use the stored 2-hop score)')
      .option('--no-resume', 'start over instead of resuming an interrupted run')
      .addHelpText('after', '\nThe static lists apply the serving business rules: PYMK_MAX_PER_COMPANY, PYMK_MAX_PER_SCHOOL, PYMK_DIVERSITY_BACKFILL.')
      .action(async (f: Flags) => {
        const file: PipelineFile = f.config ? await readPipelineFile(f.config) : {};
        const flags = { candidates: f.candidates, listK: f.listK, maxFanout: f.maxFanout, maxBadRows: f.maxBadRows, unknownUsers: f.unknownUsers, columns: f.columns, eventsSince: f.eventsSince, embed: f.embed, rank: f.rank };
        pipelineParams(file, flags, rulesOf(loadConfig())); // a bad config fails before the data is looked at
        if (flags.embed === undefined && file.embed === undefined && f.snapshot === undefined) {
          // A folder or edge list says whether it has profiles; a database source is taken to (its users table).
          const path = f.source === undefined ? sourcePath(f) : null;
          const hasProfiles = path === null || (await planDataset(path)).profiles !== undefined;
          flags.embed = embedByDefault(hasProfiles);
          if (!flags.embed) console.error('pymk pipeline: no profile file, so no embedding and ANN stages (--embed to run them; docs/pipeline.md)');
        }
        const params = pipelineParams(file, flags, rulesOf(loadConfig()));
        const run = await planRun(f, file, params);
        const r = await runPipeline({ out: f.out, ...run, params, resume: f.resume, reuseFrom: f.since });
        if (f.since !== undefined) console.error(`reran: ${r.ran.join(', ') || 'nothing'} (the other stages taken from ${f.since})`);
        if (r.reused.length > 0) console.error(`reused stages: ${r.reused.join(', ')}`);
        const ingest = r.manifest.stages.find((s) => s.name === 'ingest')?.metrics as { rowsRejected?: number; rejected?: Record<string, number> } | undefined;
        if (ingest?.rejected) {
          const reasons = Object.entries(ingest.rejected).map(([k, n]) => `${k} ${n}`).join(', ');
          console.error(`input: ${ingest.rowsRejected ?? 0} rows rejected${reasons ? ` (${reasons}; listed in ${r.dir}/data/rejects.jsonl)` : ''}`);
        }
      });
  },
};

/** What to run: the whole pipeline, the shared snapshot only, or one partition over a snapshot. */
async function planRun(f: Flags, file: PipelineFile, params: PipelineParams): Promise<Pick<RunOptions, 'stages' | 'inputs' | 'base'>> {
  if (f.partition !== undefined || f.snapshot !== undefined) {
    if (f.partition === undefined || f.snapshot === undefined || f.data !== undefined || f.connections !== undefined || f.source !== undefined || f.snapshotOnly) {
      throw new PymkError('PYMK_BAD_PARAM', 'a partition run takes --snapshot DIR and --partition i/N (and no --data, --connections, --source or --snapshot-only)');
    }
    const partition = parsePartition(f.partition, f.partitionBy, f.partitionBlock);
    const snap = await openBundle(f.snapshot);
    if (stableJson(snap.manifest.params) !== stableJson(params)) {
      throw new PymkError('PYMK_BAD_PARAM', `the parameters differ from the snapshot's (${f.snapshot}): give every partition the snapshot's --config and flags`);
    }
    return { stages: partitionStages(params, partition), inputs: { snapshot: bundleInput(f.snapshot) }, base: f.snapshot };
  }
  if (f.source !== undefined && (f.data !== undefined || f.connections !== undefined)) {
    throw new PymkError('PYMK_BAD_PARAM', 'give the dataset once: --data DIR, --connections FILE or --source URL');
  }
  const where = f.source ?? sourcePath(f);
  if (f.incremental && (f.since === undefined || f.snapshotOnly)) throw new PymkError('PYMK_BAD_PARAM', '--incremental needs --since BUNDLE (the bundle to patch), and is not a snapshot run');
  const source = openSource(where, sourceConfig(file));
  const opts = { source, ...(f.incremental && { incrementalFrom: f.since }) };
  return { stages: f.snapshotOnly ? snapshotStages(params, opts) : defaultStages(params, opts), inputs: { data: source } };
}
