import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { createServer } from '../../serve/server.js';
import { intOption, type CommandModule } from '../command.js';

export const serveCommand: CommandModule = {
  register(program: Command) {
    program
      .command('serve')
      .description('serve recommendations over HTTP from a bundle (GET /v1/users/:id/recommendations)')
      .option('--bundle <dir>', 'bundle folder to serve (env PYMK_BUNDLE)')
      .option('--host <host>', 'address to listen on (env PYMK_HOST)')
      .option('--port <port>', 'port to listen on (env PYMK_PORT)', intOption('--port'))
      .option('--store <url>', 'online store URL (env PYMK_STORE)')
      .option('--watch <ms>', 'poll the bundle folder for a newer version every <ms> ms (0 = off)', intOption('--watch'), 5000)
      .action(async (o: { bundle?: string; host?: string; port?: number; store?: string; watch: number }) => {
        const config = loadConfig({ bundle: o.bundle, host: o.host, port: o.port, store: o.store });
        const server = await createServer(config, { logger: true, watchMs: o.watch });
        const addr = await server.app.listen({ host: config.host, port: config.port });
        console.error(`pymk serving bundle ${config.bundle} at ${addr}`);
        const stop = async (): Promise<void> => {
          await server.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      });
  },
};
