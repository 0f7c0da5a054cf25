/**
 * `pymk generate --users N --seed S --out DIR [--avg-degree D] [--days D] [--log-days D]`:
 * writes a synthetic dataset folder (docs/formats.md) plus world.json with the parameters and counts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULTS, generateWorld } from '../../data/generate/index.js';
import { intOption, type CommandModule } from '../command.js';

interface GenerateFlags {
  users: number;
  seed: number;
  out: string;
  avgDegree?: number;
  days: number;
  logDays?: number;
  quiet?: boolean;
}

function positiveNumber(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return n;
  };
}

export const generateCommand: CommandModule = {
  register(program: Command): void {
    program
      .command('generate')
      .description('write a synthetic people-network dataset (profiles, timestamped connections, activity log)')
      .requiredOption('--users <n>', 'number of users', intOption('--users', 2))
      .requiredOption('--out <dir>', 'output folder')
      .option('--seed <n>', 'random seed (same seed, same files)', intOption('--seed', 0), 1)
      .option('--avg-degree <d>', `average connections per user (default ${DEFAULTS.avgDegree}, less for tiny worlds)`, positiveNumber('--avg-degree'))
      .option('--days <n>', 'length of the simulated period in days', intOption('--days', 1), DEFAULTS.days)
      .option('--log-days <n>', `days at the end covered by events.jsonl (default min(${DEFAULTS.logDays}, days))`, intOption('--log-days', 0))
      .option('--quiet', 'print only the summary line')
      .action(async (flags: GenerateFlags) => {
        const started = Date.now();
        let lastStage = '';
        const result = await generateWorld({
          users: flags.users,
          seed: flags.seed,
          out: flags.out,
          avgDegree: flags.avgDegree,
          days: flags.days,
          logDays: flags.logDays,
          onProgress: flags.quiet
            ? undefined
            : (stage) => {
                if (stage === lastStage) return;
                lastStage = stage;
                console.error(`  ${stage}… (${((Date.now() - started) / 1000).toFixed(1)}s)`);
              },
        });
        const c = result.counts;
        console.log(
          `wrote ${result.dir}: ${c.users} users, ${c.connections} connections (mean degree ${c.degree.mean}, ` +
            `max ${c.degree.max}), ${c.events} events in ${((Date.now() - started) / 1000).toFixed(1)}s`,
        );
      });
  },
};
