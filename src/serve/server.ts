/**
 * The serving role: load a bundle, open the store, build the app, and watch the bundle folder so a newer
 * complete bundle is swapped in without dropping requests (a bundle that fails validation is refused and the
 * old one keeps serving).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import { readBundleVersion } from '../pipeline/bundle.js';
import { loadSnapshot } from '../pipeline/snapshot.js';
import { openStore, type OnlineStore } from '../store/index.js';
import { MemoryStore } from '../store/memory.js';
import { buildApp } from './app.js';
import { ResultCache } from './cache.js';
import { coreFor } from './recommend.js';

export interface Server {
  app: FastifyInstance;
  /** Checks the bundle folder and swaps in a newer version; resolves to the version now served. */
  reload(): Promise<string>;
  close(): Promise<void>;
}

export async function createServer(config: Config, opts: { logger?: boolean; watchMs?: number } = {}): Promise<Server> {
  const bundleDir = config.bundle;
  if (!bundleDir) throw new PymkError('PYMK_CONFIG', 'no bundle to serve: pass --bundle DIR or set PYMK_BUNDLE');
  const store: OnlineStore = await openStore(config.store, { snapshot: await loadSnapshot(bundleDir) });
  const core = coreFor(store, config);
  const cache = new ResultCache(config.l1Size, config.l1TtlSeconds);
  const app = await buildApp({ config, core: () => core, cache, logger: opts.logger });

  const reload = async (): Promise<string> => {
    const onDisk = await readBundleVersion(bundleDir);
    if (!onDisk || onDisk === store.version() || !(store instanceof MemoryStore)) return store.version();
    try {
      store.swap(await loadSnapshot(bundleDir));
      app.log.info({ version: store.version() }, 'swapped in a new bundle');
    } catch (err) {
      app.log.error({ err }, `refused bundle ${onDisk}; still serving ${store.version()}`);
    }
    return store.version();
  };
  const timer = opts.watchMs ? setInterval(() => void reload(), opts.watchMs) : null;
  timer?.unref();
  return {
    app,
    reload,
    close: async () => {
      if (timer) clearInterval(timer);
      await app.close();
      await store.close();
    },
  };
}
