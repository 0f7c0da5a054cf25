/**
 * A serving process's side of the invalidation bus, as a separate process for the tests: subscribes to
 * the bus URL given as argument, prints `subscribed`, then one JSON line per announcement, until SIGTERM.
 */
import { openInvalidationBus } from '../../src/events/index.js';

const bus = await openInvalidationBus(process.argv[2]);
await bus.subscribe((ids) => process.stdout.write(`${JSON.stringify(ids)}\n`));
process.stdout.write('subscribed\n');
process.once('SIGTERM', () => void bus.close().then(() => process.exit(0)));
