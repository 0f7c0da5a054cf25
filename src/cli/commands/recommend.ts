import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { isPymkError, PymkError } from '../../core/errors.js';
import { recommend } from '../../recommend/recommend.js';
import { closeCore, startCore } from '../../serve/server.js';
import { DEFAULT_TTL } from '../../store/index.js';
import { intOption, type CommandModule } from '../command.js';

export const recommendCommand: CommandModule = {
  register(program: Command) {
    program
      .command('recommend')
      .description('print recommendations as JSON lines, from the same core, scorer and ANN index the server uses')
      .requiredOption('--bundle <dir>', 'bundle folder')
      .option('--user <id>', 'one user id (as in the input data)')
      .option('--users <file>', 'a file with one user id per line')
      .option('--limit <k>', 'recommendations per user', intOption('--limit', 1), 10)
      .option('--scorer <name>', "ranking: 'auto' (the bundle's model if it has one), 'model', 'blend-int8', 'blend', 'mlp', 'mlp-int8', 'gbdt', or a heuristic ('stored', 'aa', …); default PYMK_SCORER, else auto")
      .action(async (o: { bundle: string; user?: string; users?: string; limit: number; scorer?: string }) => {
        if (!o.user === !o.users) throw new PymkError('PYMK_BAD_PARAM', 'pass exactly one of --user ID or --users FILE');
        const users = o.user ? [o.user] : (await readFile(o.users!, 'utf8')).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
        const config = loadConfig({ bundle: o.bundle, ...(o.scorer !== undefined && { scorer: o.scorer }) });
        const deps = await startCore(config, o.bundle, DEFAULT_TTL, (err, what) => console.error(`pymk recommend: ${what} (${(err as Error).message})`));
        console.error(`pymk recommend: ${users.length} user${users.length === 1 ? '' : 's'}, ranked by ${deps.scorer.name}`);
        let failed = 0;
        try {
          for (const user of users) {
            try {
              const r = await recommend(deps, user, o.limit);
              process.stdout.write(JSON.stringify({ user, source: r.source, recommendations: r.recommendations }) + '\n');
            } catch (err) {
              if (!isPymkError(err) || err.statusCode >= 500) throw err;
              failed++;
              process.stdout.write(JSON.stringify({ user, error: { code: err.code, message: err.message } }) + '\n');
            }
          }
        } finally {
          await closeCore(deps);
        }
        if (failed > 0) console.error(`pymk recommend: ${failed} of ${users.length} users failed (see the "error" lines)`);
        if (failed > 0) process.exitCode = 2;
      });
  },
};
