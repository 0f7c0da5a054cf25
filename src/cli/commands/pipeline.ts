import type { Command } from 'commander';
import { runPipeline } from '../../pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../pipeline/stages/index.js';
import { intOption, type CommandModule } from '../command.js';

interface Flags {
  data: string;
  out: string;
  topN: number;
  listK: number;
  maxFanout: number;
  maxBadRows?: number;
  resume: boolean;
}

export const pipelineCommand: CommandModule = {
  register(program: Command) {
    program
      .command('pipeline')
      .description('build a serving bundle from a dataset folder: ingest → graph → (embed) → candidates (2-hop) → pair features → rank (model) → static lists')
      .requiredOption('--data <dir>', 'dataset folder (docs/formats.md)')
      .requiredOption('--out <dir>', 'bundle folder to write (replaced atomically on success)')
      .option('--top-n <n>', 'candidates kept per user', intOption('--top-n', 1), PIPELINE_DEFAULTS.candidates.topN)
      .option('--list-k <n>', 'static-list length per user', intOption('--list-k', 1), PIPELINE_DEFAULTS.lists.k)
      .option('--max-fanout <n>', 'sample through neighbours above this degree (0 = walk all)', intOption('--max-fanout', 0), PIPELINE_DEFAULTS.candidates.maxFanout)
      .option('--max-bad-rows <n>', 'abort the import when a file has more malformed rows than this', intOption('--max-bad-rows', 0))
      .option('--no-resume', 'start over instead of resuming an interrupted run')
      .action(async (f: Flags) => {
        const params: PipelineParams = {
          candidates: { ...PIPELINE_DEFAULTS.candidates, topN: f.topN, maxFanout: f.maxFanout },
          lists: { ...PIPELINE_DEFAULTS.lists, k: f.listK },
          maxBadRows: f.maxBadRows,
        };
        const r = await runPipeline({ out: f.out, stages: defaultStages(params), inputs: { data: f.data }, params, resume: f.resume });
        const reused = r.reused.length > 0;
        if (reused) console.error(`reused stages: ${r.reused.join(', ')}`);
      });
  },
};
