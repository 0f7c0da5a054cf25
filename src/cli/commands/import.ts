/**
 * `pymk import <dataset> [--src DIR] --out DIR`: converts a public dataset into a standard dataset folder
 * (docs/formats.md) with its adapter, then loads the folder back with the normal loader and prints the
 * import report.
 */
import type { Command } from 'commander';
import { ADAPTERS, getAdapter } from '../../data/adapters/index.js';
import { formatReport, loadDataset } from '../../data/load.js';
import { intOption, type CommandModule } from '../command.js';

interface ImportFlags {
  src?: string;
  out: string;
  maxBadRows?: number;
}

export const importCommand: CommandModule = {
  register(program: Command): void {
    const list = Object.values(ADAPTERS)
      .map((a) => `  ${a.name.padEnd(14)} ${a.description} (default --src ${a.defaultSrc})`)
      .join('\n');
    program
      .command('import')
      .description('convert a public dataset into a standard dataset folder and check it loads')
      .argument('<dataset>', `one of: ${Object.keys(ADAPTERS).join(', ')}`)
      .option('--src <dir>', "the dataset's own files (default: the adapter's shared copy)")
      .requiredOption('--out <dir>', 'output folder (connections.csv, users.jsonl, dataset.json)')
      .option('--max-bad-rows <n>', 'malformed rows allowed per file when loading back', intOption('--max-bad-rows', 0))
      .addHelpText('after', `\nDatasets:\n${list}`)
      .action(async (name: string, flags: ImportFlags) => {
        const adapter = getAdapter(name);
        const started = Date.now();
        const result = await adapter.run(flags.src ?? adapter.defaultSrc, flags.out);
        for (const line of result.lines) console.log(line);
        const world = await loadDataset(flags.out, { maxBadRows: flags.maxBadRows });
        console.log(`wrote ${flags.out}; loaded back: ${world.ids.size} users, ${world.connections.count} connections, ${world.events.count} events`);
        console.log(formatReport(world.report));
        console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      });
  },
};
