/**
 * The serving role: load a bundle, open the store, build the app, and (with `watchMs`) poll the bundle folder
 * so a newer complete bundle is swapped in without dropping requests (a bundle that fails validation is
 * refused and the old one keeps serving). Swaps apply to the embedded memory:// store; a Redis store serves
 * what its pointer names and follows publishes itself (kvStore.ts), and the server then loads the model,
 * ANN index and local fallback of that version from the folder when the folder holds it.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import { FailureTracker, type WarnFn } from '../core/failures.js';
import { openBundle, readBundleVersion, type Bundle } from '../bundle/bundle.js';
import { MANIFEST_FILE, type Manifest } from '../bundle/manifest.js';
import { candidatesPerUser } from '../bundle/read.js';
import { snapshotFrom } from '../store/fromBundle.js';
import { selectScorer } from '../rank/select.js';
import { DEFAULT_TTL, openStore, type TtlConfig } from '../store/index.js';
import { MemoryStore } from '../store/memory.js';
import { KvStore } from '../store/kvStore.js';
import { claimLock, verifyPublished } from '../store/verify.js';
import { loadSnapshot } from '../store/fromBundle.js';
import { hostname } from 'node:os';
import { closeLater, openAnn, type AnnCandidates } from '../recommend/ann.js';
import { ColdStart } from '../recommend/coldStart.js';
import type { OnlineStore, Snapshot } from '../store/index.js';
import { buildApp, type LogStream } from './app.js';
import { ResultCache } from './cache.js';
import type { EventSink, InvalidationFeed } from './context.js';
import type { AnswerCache } from '../store/answerCache.js';
import { coreFor } from '../recommend/recommend.js';
import type { ServingCore } from './degrade.js';
import { localFallback } from './local.js';
import { heuristicScorer } from '../rank/heuristic.js';
import type { Scorer } from '../rank/scorer.js';

export interface Server {
  app: FastifyInstance;
  /** Checks the bundle folder and swaps in a newer version; resolves to the version now served. */
  reload(): Promise<string>;
  /** The name of the scorer now ranking ('model:mlp-int8', 'stored', …). */
  scorerName(): string;
  /** The recommend dependencies now serving (the store an in-server invalidator writes to). */
  core(): ServingCore;
  close(): Promise<void>;
}

/**
 * How often `pymk serve` and the demo poll the bundle folder by default: a manifest read every 5 s costs
 * nothing, and a new bundle (built in minutes) is picked up within seconds of its publish.
 */
export const BUNDLE_POLL_MS = 5000;

/**
 * The embedded store's values are re-published at this fraction of the shortest TTL: half leaves the other
 * half as margin, so a value is always renewed before it can expire.
 */
export const REPUBLISH_TTL_FRACTION = 0.5;

/** How long a server's claim to repair the store lasts (released when the repair ends; a crashed repairer's claim expires). */
export const REPAIR_LOCK_MS = 120_000;

export interface ServerOptions {
  /** As buildApp's: true = pino lines on stdout; a stream = pino lines written there. */
  logger?: boolean | LogStream;
  /** Poll the bundle folder for a newer version every this many ms (0/undefined = off; the CLI's default is BUNDLE_POLL_MS). */
  watchMs?: number;
  /** TTLs of the embedded store (default: the seed's). */
  ttl?: TtlConfig;
  /** Milliseconds clock of the embedded store's TTLs (tests; default Date.now). */
  clock?: () => number;
  /** Runs the watch and re-publish timers (tests; default: unref'd setInterval). */
  every?: Every;
  /** Where POST /v1/events appends (default: none; that route answers 503). */
  events?: EventSink | null;
  /** Announcements of changed users: each is evicted from this process's caches as it arrives. */
  invalidations?: InvalidationFeed | null;
  /** The L2 answer cache (default: none, L1 only). */
  answerCache?: AnswerCache | null;
}

/** Calls `fn` every `ms` milliseconds until the returned stop function is called. */
export type Every = (ms: number, fn: () => void) => () => void;

const intervalEvery: Every = (ms, fn) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

export async function createServer(config: Config, opts: ServerOptions = {}): Promise<Server> {
  const bundleDir = config.bundle;
  if (!bundleDir) throw new PymkError('PYMK_CONFIG', 'no bundle to serve: pass --bundle DIR or set PYMK_BUNDLE');
  const ttl = opts.ttl ?? DEFAULT_TTL;
  // Reports from before the app (and its logger) exists are kept, then logged once it does.
  const early: { err?: unknown; what: string }[] = [];
  let warn: WarnFn = (err, what) => early.push({ err, what });
  let info = (what: string): void => void early.push({ what });
  const every = opts.every ?? intervalEvery;
  // A Redis store that moves to another version: look at the bundle folder then, not at the next poll, so the
  // model, ANN index and cold start of the new version follow within a store refresh (set once polling exists).
  let storeMoved = (): void => {};
  let core = await startCore(config, bundleDir, ttl, (err, what) => warn(err, what), { info: (what) => info(what), clock: opts.clock, onStoreVersion: () => storeMoved() });
  const store = core.store;
  const cache = new ResultCache(config.l1Size, config.l1TtlSeconds);
  const app = await buildApp({ config, core: () => core, cache, logger: opts.logger, events: opts.events, invalidations: opts.invalidations, answerCache: opts.answerCache });
  warn = (err, what) => app.log.error({ err }, what);
  info = (what) => app.log.info(what);
  for (const r of early) {
    if ('err' in r) warn(r.err, r.what);
    else info(r.what);
  }
  let closed = false;
  // The poll's manifest reads: a manifest that stays unreadable is logged once, not on every poll.
  const polls = new FailureTracker(`reading ${bundleDir}/manifest.json`, { onError: (err, what) => warn(err, what), onRecover: (what) => info(what) });

  // The version the model, ANN index and local fallback come from: the bundle of the current core.
  const loaded = (): string => core.loaded ?? store.version();
  // The refused version and the state of its folder (see folderState): not retried until either changes.
  let refused: string | null = null;
  const check = async (): Promise<string> => {
    let unreadable = false;
    const onDisk = await readBundleVersion(bundleDir, (err) => {
      unreadable = true;
      polls.fail(err, `still serving ${store.version()}`);
    });
    if (!unreadable) polls.ok();
    if (!(store instanceof MemoryStore)) return follow(onDisk);
    if (!onDisk || onDisk === store.version()) return store.version();
    const seen = await folderState(bundleDir, onDisk);
    if (refused !== null && refused === seen) return store.version(); // refused already, folder unchanged
    try {
      // Every artifact's SHA-256 (streamed), then the snapshot and its model: any failing refuses the whole bundle.
      const b = await openBundle(bundleDir, { verify: 'full' });
      const snap = await snapshotFrom(b, b.version);
      const next = await selectScorer(config.scorer, b);
      const nextAnn = await openAnn(config, bundleDir, snap, (err) => warn(err, `ANN index of ${b.version} not opened; serving it without ANN candidates`), {
        onError: (err, what) => warn(err, what),
        onRecover: (what) => info(what),
      });
      if (closed) {
        // The server closed while this bundle was loading: release what was opened for it.
        next.dispose?.();
        await nextAnn?.close();
        return store.version();
      }
      const old = core;
      store.swap(snap);
      core = bundleCore(store, config, next, nextAnn, snap, b.manifest);
      old.scorer.dispose?.(); // released once the requests already scoring with it have finished
      closeLater(old.ann); // searches already sent to the old pool get time to finish
      refused = null;
      app.log.info({ version: store.version(), scorer: next.name }, 'swapped in a new bundle');
    } catch (err) {
      refused = seen;
      app.log.error({ err }, `refused bundle ${onDisk}; still serving ${store.version()} (not retried until the bundle folder changes)`);
    }
    return store.version();
  };
  // A remote store follows publishes itself (kvStore.ts); the scorer, the ANN index and the local fallback
  // follow it from the bundle folder when the folder holds the version the store now serves.
  let mismatch: string | null = null;
  const warnMismatch = (served: string, onDisk: string | null): void => {
    if (mismatch === `${served}|${onDisk}`) return;
    mismatch = `${served}|${onDisk}`;
    app.log.warn(
      `the store serves ${served} but ${bundleDir} holds ${onDisk ?? 'no bundle'}: ranking with the model, ANN index and local fallback of ${loaded()}, and no self-repair, until the folder holds ${served}`,
    );
  };
  if (store instanceof KvStore && store.version() !== loaded()) warnMismatch(store.version(), loaded());
  let repairing = false;
  const repair = async (): Promise<void> => {
    if (repairing || !(store instanceof KvStore)) return;
    repairing = true;
    try {
      const lock = store.space.repairLock();
      if (!(await claimLock(store.kv, lock, `${hostname()}:${process.pid}`, REPAIR_LOCK_MS))) return; // another server repairs
      const snap = await loadSnapshot(bundleDir);
      if (snap.version === loaded()) {
        const v = await verifyPublished(store.kv, store.space, snap, { ttl, log: (line) => info(line) });
        app.log.warn({ state: v.state, present: v.present, expected: v.expected, gen: v.repaired?.gen }, `the store had lost ${loaded()}: ${v.repaired ? 'republished it' : 'nothing to repair'} from ${bundleDir}`);
      }
      await store.kv.del([lock]);
    } catch (err) {
      warn(err, 'repairing the store from the bundle on disk failed; retried at the next poll');
    } finally {
      repairing = false;
    }
  };
  const follow = async (onDisk: string | null): Promise<string> => {
    const served = store.version();
    // The store lost the version this server loaded, and the folder still holds it: put it back.
    if (config.repairStore && store instanceof KvStore && store.lost() && served === loaded() && onDisk === loaded()) void repair();
    if (served === loaded()) return served;
    if (onDisk !== served) {
      warnMismatch(served, onDisk);
      return served;
    }
    const seen = await folderState(bundleDir, onDisk);
    if (refused !== null && refused === seen) return served;
    try {
      const b = await openBundle(bundleDir, { verify: 'full' });
      const snap = await snapshotFrom(b, b.version);
      const next = await selectScorer(config.scorer, b);
      const nextAnn = await openAnn(config, bundleDir, snap, (err) => warn(err, `ANN index of ${b.version} not opened; serving it without ANN candidates`), {
        onError: (err, what) => warn(err, what),
        onRecover: (what) => info(what),
      });
      if (closed) {
        next.dispose?.();
        await nextAnn?.close();
        return served;
      }
      const old = core;
      core = { ...bundleCore(store, config, next, nextAnn, snap, b.manifest), local: localFallback(snap, candidatesPerUser(b.manifest)) };
      old.scorer.dispose?.();
      closeLater(old.ann);
      refused = null;
      mismatch = null;
      app.log.info({ version: b.version, scorer: next.name }, 'the store moved to a new bundle: its model, ANN index and local fallback are loaded');
    } catch (err) {
      refused = seen;
      app.log.error({ err }, `refused the model and index of ${onDisk}; still ranking with those of ${loaded()} (not retried until the bundle folder changes)`);
    }
    return served;
  };
  // Reloads never overlap: a call while one runs waits for it and then runs one more check (calls coalesce).
  let running: Promise<string> | null = null;
  let queued: Promise<string> | null = null;
  const reload = (): Promise<string> => {
    if (running === null) {
      running = check().finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running.then(
      () => {
        queued = null;
        return reload();
      },
      () => {
        queued = null;
        return reload();
      },
    );
    return queued;
  };
  const poll = (): void => void reload().catch((err: unknown) => warn(err, `bundle poll failed; still serving ${store.version()}`));
  const stopWatch = opts.watchMs ? every(opts.watchMs, poll) : null;
  if (opts.watchMs) storeMoved = poll;
  // The embedded store expires values on the seed's TTLs, as Redis would. The bundle on disk is what they are
  // published from, so the server re-publishes it in-process within the shortest TTL (as a cron would to Redis).
  const shortest = Math.min(...Object.values(ttl).filter((s) => s > 0));
  const stopRepublish =
    store instanceof MemoryStore && Number.isFinite(shortest) ? every(shortest * 1000 * REPUBLISH_TTL_FRACTION, () => store.swap(store.snapshot())) : null;
  return {
    app,
    reload,
    scorerName: () => core.scorer.name,
    core: () => core,
    close: async () => {
      closed = true;
      storeMoved = () => {};
      stopWatch?.();
      stopRepublish?.();
      await app.close();
      await closeCore(core);
    },
  };
}

/** A bundle version with the identity of its folder and manifest (inode, mtime, size): changes when either is replaced or edited. */
async function folderState(dir: string, version: string): Promise<string> {
  const [d, m] = await Promise.all([stat(dir), stat(join(dir, MANIFEST_FILE))]).catch(() => [null, null]);
  return d && m ? `${version}|${d.ino}:${d.mtimeMs}|${m.ino}:${m.mtimeMs}:${m.size}` : `${version}|?${Date.now()}`;
}

/**
 * What serving a bundle needs, opened the same way by the server and `pymk recommend`: the bundle's snapshot
 * in the configured store, the scorer (startupScorer) and the ANN candidates. Problems serving goes on
 * without (a refused 'auto' model, an ANN index that cannot open, a Redis store's pointer refresh or ANN
 * searches starting to fail) are passed to `warn`; their recoveries to `info`. `clock` is the memory
 * store's TTL clock (tests).
 */
export async function startCore(
  config: Config,
  bundleDir: string,
  ttl: TtlConfig,
  warn: WarnFn,
  opts: { info?: (what: string) => void; clock?: () => number; onStoreVersion?: (version: string) => void } = {},
): Promise<ServingCore> {
  const info = opts.info ?? (() => {});
  const b = await openBundle(bundleDir, { verify: 'full' });
  const snap = await snapshotFrom(b, b.version);
  const store = await openStore(config.store, {
    snapshot: snap,
    ttl,
    clock: opts.clock,
    liveTopN: candidatesPerUser(b.manifest),
    onError: warn,
    onRecover: info,
    onVersion: opts.onStoreVersion,
  });
  const scorer = await startupScorer(config.scorer, b);
  if (scorer.refused) warn(scorer.refused, `ranking model refused; scoring with '${scorer.scorer.name}'`);
  const ann = await openAnn(config, bundleDir, snap, (err) => warn(err, 'ANN index not opened; serving without ANN candidates'), { onError: warn, onRecover: info });
  // A remote store can fail or lose its data: the bundle on disk answers then (degrade.ts).
  const local = store instanceof MemoryStore ? null : localFallback(snap, candidatesPerUser(b.manifest));
  return { ...bundleCore(store, config, scorer.scorer, ann, snap, b.manifest), local };
}

/**
 * The recommend core of a bundle over `store`: its scorer, its ANN index (following the users the store
 * creates online) and the profile cold start built from its snapshot.
 */
function bundleCore(store: OnlineStore, config: Config, scorer: Scorer, ann: AnnCandidates | null, snap: Snapshot, manifest: Manifest): ServingCore {
  ann?.follow(store);
  return { ...coreFor(store, config, scorer, ann, ColdStart.build(snap, candidatesPerUser(manifest))), loaded: snap.version };
}

/** Releases what startCore opened. */
export async function closeCore(core: ServingCore): Promise<void> {
  core.scorer.dispose?.();
  await core.ann?.close();
  await core.store.close();
}

/**
 * The scorer at start-up. With 'auto', a model that cannot be used (fails validation, or its file fails the
 * bundle checksum) is reported and the stored heuristic score is used instead; a scorer named explicitly
 * must load or the server does not start.
 */
async function startupScorer(name: string, b: Bundle): Promise<{ scorer: Scorer; refused: Error | null }> {
  try {
    return { scorer: await selectScorer(name, b), refused: null };
  } catch (e) {
    if (name !== 'auto' || !(e instanceof PymkError)) throw e;
    return { scorer: heuristicScorer('stored'), refused: e };
  }
}
