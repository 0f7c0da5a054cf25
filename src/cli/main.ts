#!/usr/bin/env node
/**
 * `pymk` — a thin entry point: each command lives in commands/<name>.ts and registers itself here.
 */
import { Command } from 'commander';
import { isPymkError } from '../core/errors.js';
import type { CommandModule } from './command.js';

const modules: CommandModule[] = [];

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
