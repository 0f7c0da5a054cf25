import { InvalidArgumentError, type Command } from 'commander';

/** A CLI command: one file under commands/, registered in main.ts. */
export interface CommandModule {
  register(program: Command): void;
}

/** Parses a positive integer option or throws a clear error naming the option. */
export function intOption(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
}
