#!/usr/bin/env node
/**
 * `pymk` — a thin entry point: each command lives in commands/<name>.ts and registers itself here.
 */
import { Command } from 'commander';
import { isPymkError } from '../core/errors.js';
import type { CommandModule } from './command.js';
import { demoCommand } from './commands/demo.js';
import { pipelineCommand } from './commands/pipeline.js';
import { recommendCommand } from './commands/recommend.js';
import { serveCommand } from './commands/serve.js';
import { generateCommand } from './commands/generate.js';
import { evalCommand } from './commands/eval.js';
import { importCommand } from './commands/import.js';
import { publishCommand } from './commands/publish.js';
import { keysCommand } from './commands/keys.js';
import { invalidateCommand } from './commands/invalidate.js';
import { eventsCommand } from './commands/events.js';
import { loadPostgresCommand } from './commands/loadPostgres.js';
import { mergeCommand } from './commands/merge.js';

const modules: CommandModule[] = [demoCommand, pipelineCommand, serveCommand, recommendCommand, generateCommand, evalCommand, importCommand, publishCommand, keysCommand, invalidateCommand, eventsCommand, loadPostgresCommand, mergeCommand];

const program = new Command();
program
  .name('pymk')
  .description('People You May Know: offline pipeline and online serving for people recommendations')
  .showHelpAfterError();
for (const m of modules) m.register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isPymkError(err)) {
    console.error(`pymk: ${err.code}: ${err.message}`);
  } else {
    console.error('pymk: unexpected error:', err);
  }
  process.exit(1);
});
