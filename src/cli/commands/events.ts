/**
 * `pymk events publish --events URL [FILE|-]` appends events (JSON lines or one JSON array), validated as a
 * whole batch first, and prints their log positions once the log acknowledged them.
 * `pymk events tail --events URL [--group G] [--from-start]` prints events as they arrive (JSON lines), and
 * `--dead` prints the dead letters.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PymkError } from '../../core/errors.js';
import { openEventLog, parseEvents, type EventLog } from '../../events/index.js';
import { intOption, type CommandModule } from '../command.js';

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON array of events, or one JSON value per non-empty line. */
export function parseEventText(text: string): unknown[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown[];
    } catch (e) {
      throw new PymkError('PYMK_BAD_EVENT', `events: not a JSON array (${(e as Error).message})`);
    }
  }
  return t.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      throw new PymkError('PYMK_BAD_EVENT', `events: line ${i + 1} is not JSON`);
    }
  });
}

const BATCH = 1000;

interface PublishFlags {
  events: string;
}
interface TailFlags {
  events: string;
  group?: string;
  fromStart: boolean;
  dead: boolean;
  limit: number;
}

export const eventsCommand: CommandModule = {
  register(program: Command) {
    const events = program.command('events').description('append events to the event log, or watch it');
    events
      .command('publish [file]')
      .description('append events from FILE (or - / nothing: stdin): JSON lines or one JSON array; prints one log position per event')
      .requiredOption('--events <url>', 'event log: redis-streams://host:6379?stream=events, nats://host:4222, kafka://broker:9092')
      .addHelpText(
        'after',
        `
The whole input is validated first: one bad event rejects it all (nothing appended) and the error names the
event and field, e.g. events[3].b: expected a user id. Events go out in batches of ${BATCH}; the ids printed
are the log's positions, in input order, once the log acknowledged them. docs/events.md lists the event types.

Example:
  echo '{"id":"e1","type":"connection.created","v":1,"at":1760000000000,"a":"u1","b":"u2"}' \\
    | pymk events publish --events 'redis-streams://127.0.0.1:6379?stream=events'`,
      )
      .action(async (file: string | undefined, o: PublishFlags) => {
        const list = parseEventText(await readInput(file));
        parseEvents(list); // the whole input, before anything is appended
        const log = await openEventLog(o.events);
        try {
          for (let i = 0; i < list.length; i += BATCH) {
            const ids = await log.append(list.slice(i, i + BATCH));
            process.stdout.write(ids.map((id) => `${id}\n`).join(''));
          }
        } finally {
          await log.close();
        }
        console.error(`pymk events publish: ${list.length} events appended to ${o.events}`);
      });
    events
      .command('tail')
      .description('print events as they arrive (one JSON line each, with position and delivery count); Ctrl-C stops')
      .requiredOption('--events <url>', 'event log URL')
      .option('--group <name>', 'read as this consumer group and ack what is printed (default: a throw-away group)')
      .option('--from-start', 'with a throw-away group: print the log from its beginning (default: only new events)', false)
      .option('--dead', 'print the dead letters (oldest first) and exit', false)
      .option('--limit <n>', 'with --dead: at most this many', intOption('--limit', 1), 1000)
      .addHelpText(
        'after',
        `
Without --group, tail reads through a group of its own (tail-<pid>), so it takes nothing from the invalidator's
group. A new group starts at the log's beginning; without --from-start the events already in the log are
skipped and only new ones printed. --group G joins group G and acks what it prints: the events are consumed.

Example:
  pymk events tail --events 'redis-streams://127.0.0.1:6379?stream=events' --from-start
  pymk events tail --events 'redis-streams://127.0.0.1:6379?stream=events' --dead`,
      )
      .action(async (o: TailFlags) => {
        const log = await openEventLog(o.events);
        if (o.dead) {
          for (const d of await log.deadLetters(o.limit)) process.stdout.write(`${JSON.stringify(d)}\n`);
          await log.close();
          return;
        }
        await tail(log, o);
      });
  },
};

async function tail(log: EventLog, o: TailFlags): Promise<void> {
  const group = o.group ?? `tail-${process.pid}`;
  // A throw-away group starts at the beginning: count what is there now and skip it unless --from-start.
  let skip = o.group || o.fromStart ? 0 : await log.lag(group);
  const consumer = await log.consume(group, `tail-${process.pid}`, (event, info) => {
    if (skip > 0) {
      skip--;
      return;
    }
    process.stdout.write(`${JSON.stringify({ position: info.position, deliveries: info.deliveries, event })}\n`);
  });
  const stop = async (): Promise<void> => {
    await consumer.stop();
    await log.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
