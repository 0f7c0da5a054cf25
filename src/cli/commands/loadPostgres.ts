/**
 * `pymk load-postgres --data DIR --to postgres://…`: reads a dataset folder with the normal importer and
 * writes it into PostgreSQL's default schema (docs/sources.md), for demos and tests. Then
 * `pymk pipeline --source postgres://…` builds the same bundle as `--data DIR`.
 */
import type { Command } from 'commander';
import { formatReport, loadDataset, parseBadRowLimit, type BadRowLimit } from '../../data/load.js';
import { loadIntoPostgres } from '../../data/sources/index.js';
import type { CommandModule } from '../command.js';

interface Flags {
  data: string;
  to: string;
  schema?: string;
  replace: boolean;
  maxBadRows?: BadRowLimit;
}

export const loadPostgresCommand: CommandModule = {
  register(program: Command): void {
    program
      .command('load-postgres')
      .description('load a dataset folder into PostgreSQL tables (users, connections, events) read by pipeline --source postgres://…')
      .requiredOption('--data <dir>', 'dataset folder (docs/formats.md)')
      .requiredOption('--to <url>', 'postgres://user@host:port/database[?schema=name]')
      .option('--schema <name>', 'schema for the tables (default: the URL\'s ?schema=, else pymk)')
      .option('--replace', 'drop and reload the tables when they exist', false)
      .option('--max-bad-rows <N|P%>', 'malformed rows allowed per file when reading the folder', (v: string) => parseBadRowLimit(v))
      .action(async (f: Flags) => {
        const started = Date.now();
        const world = await loadDataset(f.data, { maxBadRows: f.maxBadRows });
        console.log(formatReport(world.report));
        const r = await loadIntoPostgres(f.to, world, { schema: f.schema, replace: f.replace });
        const s = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`loaded into schema ${r.schema}: ${r.rows.users} users, ${r.rows.connections} connections, ${r.rows.events} events in ${s} s`);
      });
  },
};
