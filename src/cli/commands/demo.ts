/**
 * `pymk demo`: the all-in-one role — generate a world, run the pipeline, serve it, and print where to look.
 * It reuses the generate, pipeline and serve roles; nothing here is demo-only logic.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { generateWorld } from '../../data/generate/index.js';
import { readBundleVersion } from '../../bundle/bundle.js';
import { runPipeline } from '../../pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../pipeline/stages/index.js';
import { EMBED_DEFAULTS } from '../../pipeline/stages/embed.js';
import { BUNDLE_POLL_MS, createServer } from '../../serve/server.js';
import { intOption, type CommandModule } from '../command.js';
import { closeFreshness, openFreshness, startInvalidator } from '../freshness.js';

interface Flags {
  users: number;
  seed: number;
  dir: string;
  port: number;
  host: string;
  fresh?: boolean;
}

export const demoCommand: CommandModule = {
  register(program: Command) {
    program
      .command('demo')
      .description('generate a world, build a bundle and serve it (the quick start)')
      .option('--users <n>', 'users in the generated world', intOption('--users', 2), 20_000)
      .option('--seed <n>', 'generator seed', intOption('--seed', 0), 1)
      .option('--dir <dir>', 'working folder for the data and the bundle', '.pymk/demo')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port to listen on', intOption('--port'), 8080)
      .option('--fresh', 'regenerate and rebuild even if a previous demo run left data and a bundle')
      .action(async (f: Flags) => {
        const data = join(f.dir, 'data');
        const bundle = join(f.dir, 'bundle');
        const have = await sameWorld(data, f.users, f.seed);
        if (f.fresh || !have) {
          console.error(`[demo] generating ${f.users} users (seed ${f.seed}) into ${data}`);
          await generateWorld({ users: f.users, seed: f.seed, out: data });
        }
        const built = await readBundleVersion(bundle, (err, what) => console.error(`[demo] ${what} (${(err as Error).message}); rebuilding it`));
        if (f.fresh || !have || !built) {
          console.error(`[demo] building the bundle ${bundle}`);
          await runPipeline({ out: bundle, stages: defaultStages(DEMO_PARAMS), inputs: { data }, params: DEMO_PARAMS });
        }
        const config = loadConfig({ bundle, host: f.host, port: f.port });
        const fresh = await openFreshness(config);
        const server = await createServer(config, { watchMs: BUNDLE_POLL_MS, events: fresh.log, invalidations: fresh.bus, answerCache: fresh.answers });
        await startInvalidator(config, server, fresh, (e) => console.error(`[demo] invalidator: ${e.message}`));
        const url = await server.app.listen({ host: config.host, port: config.port });
        const example = await exampleUser(server.app, 'stored', (i) => `u${i}`);
        // The newest users are the likeliest to have no connections yet (the generator's ids follow join order).
        const coldStart = await exampleUser(server.app, 'ann', (i) => `u${f.users - 1 - i}`);
        console.log(`\npymk is serving ${bundle} at ${url}\n`);
        console.log(`  curl '${url}/v1/users/${example}/recommendations?limit=5'`);
        if (coldStart) console.log(`  curl '${url}/v1/users/${coldStart}/recommendations?limit=5'   # no connections yet: candidates from the ANN index`);
        const first = ((await server.app.inject({ url: `/v1/users/${example}/recommendations?limit=5` })).json() as { recommendations: { id: string }[] }).recommendations[0]?.id;
        if (first) {
          const dismiss = JSON.stringify({ id: `demo-${Date.now()}`, v: 1, at: Date.now(), type: 'dismiss', actor: example, target: first });
          console.log(`  curl -X POST '${url}/v1/events' -H 'content-type: application/json' -d '${dismiss}'   # ${first} leaves ${example}'s list at once`);
        }
        console.log(`  open ${url}/dashboard/   # the dashboard: why each person is recommended, what-ifs, health, runs`);
        console.log(`  curl '${url}/readyz'`);
        console.log(`  curl '${url}/metrics'`);
        console.log(`  curl '${url}/openapi.json'`);
        console.log(`\nCLI: node dist/src/cli/main.js recommend --bundle ${bundle} --user ${example} --limit 5`);
        console.log('Press Ctrl+C to stop.');
        const stop = async (): Promise<void> => {
          await server.close();
          await closeFreshness(fresh);
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      });
  },
};

/** The default pipeline with a smaller embedding budget, so the quick start serves within a few minutes. */
const DEMO_PARAMS: PipelineParams = {
  ...PIPELINE_DEFAULTS,
  embed: { ...EMBED_DEFAULTS, train: { ...EMBED_DEFAULTS.train, epochs: 1, maxEdges: 20_000 } },
};

/** Whether `dir` holds the world these flags generate; a world.json that is there but unreadable says why. */
async function sameWorld(dir: string, users: number, seed: number): Promise<boolean> {
  const file = join(dir, 'world.json');
  try {
    const w = JSON.parse(await readFile(file, 'utf8')) as { params?: { users?: number; seed?: number } };
    return w.params?.users === users && w.params?.seed === seed;
  } catch (e) {
    // No world yet is the usual first run; anything else (corrupt JSON, permissions) is worth a line.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') console.error(`[demo] cannot read ${file} (${(e as Error).message}); regenerating`);
    return false;
  }
}

/** A user the demo can show off: the first with a full page of recommendations from that candidate source. */
async function exampleUser(
  app: { inject: (o: { url: string }) => Promise<{ statusCode: number; json: () => unknown }> },
  source: string,
  idAt: (i: number) => string,
): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const id = idAt(i);
    const r = await app.inject({ url: `/v1/users/${id}/recommendations?limit=5` });
    const body = r.json() as { source: string; recommendations: unknown[] };
    if (r.statusCode === 200 && body.source === source && body.recommendations.length === 5) return id;
  }
  return source === 'stored' ? 'u0' : '';
}
