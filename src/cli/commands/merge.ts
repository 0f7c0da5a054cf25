/**
 * `pymk merge --snapshot DIR --out BUNDLE PART…`: the bundle of a run split across machines, from the shared
 * snapshot and every partition's bundle (docs/pipeline.md#split-across-machines). Fails, publishing nothing,
 * unless each partition 0..N-1 is given exactly once, built over this snapshot with its parameters.
 */
import type { Command } from 'commander';
import { mergePartitions } from '../../pipeline/merge.js';
import type { CommandModule } from '../command.js';

export const mergeCommand: CommandModule = {
  register(program: Command): void {
    program
      .command('merge')
      .description('assemble one bundle from a snapshot and its N partition bundles (pymk pipeline --partition i/N)')
      .argument('<parts...>', 'the partition bundles, in any order')
      .requiredOption('--snapshot <dir>', 'the shared snapshot (pymk pipeline --snapshot-only)')
      .requiredOption('--out <dir>', 'bundle folder to write (replaced atomically on success)')
      .action(async (parts: string[], f: { snapshot: string; out: string }) => {
        const r = await mergePartitions({ snapshot: f.snapshot, parts, out: f.out });
        console.error(`merged ${parts.length} partitions into ${r.dir} (bundle ${r.manifest.version})`);
      });
  },
};
