/**
 * `pymk publish --bundle DIR --store URL`: loads a bundle into Redis (one node or a cluster) and switches to it.
 * `--since OLD`: writes only the keys that differ from OLD into the generation serving OLD (store/publishChanges.ts).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { PymkError } from '../../core/errors.js';
import { progressFactory } from '../../core/progress.js';
import { loadSnapshot } from '../../store/fromBundle.js';
import { openKvTarget, publishChanges, publishSnapshot, ttlConfig, verifyPublished, type PublishOptions } from '../../store/index.js';
import { DEFAULT_BUCKETS } from '../../store/keys.js';
import { intOption, type CommandModule } from '../command.js';

interface PublishFlags {
  bundle: string;
  since?: string;
  store?: string;
  ttl?: string;
  chunk: number;
  inFlight: number;
  buckets: number;
  grace: number;
  force: boolean;
  verify: boolean;
  repair: boolean;
  progress: boolean;
}

export const publishCommand: CommandModule = {
  register(program: Command) {
    program
      .command('publish')
      .description('load a bundle into the online store (Redis / Redis Cluster) and switch readers to it atomically; resumable')
      .requiredOption('--bundle <dir>', 'bundle folder')
      .option('--store <url>', 'redis://host:port[?prefix=pymk] or redis-cluster://host:port,host:port (default: env PYMK_STORE)')
      .option('--since <bundle>', 'incremental: the store serves this earlier bundle; write only the keys whose value differs from it into the served generation (unchanged keys untouched; not atomic across users; docs/store.md)')
      .option('--ttl <spec>', 'TTL overrides, e.g. profile=1h,candidates=4h (kinds: embedding, pair, profile, behaviour, candidates, graph, ids, static)')
      .option('--chunk <users>', 'users per pipelined chunk', intOption('--chunk', 1), 2000)
      .option('--in-flight <n>', 'chunks written concurrently', intOption('--in-flight', 1), 4)
      .option('--buckets <n>', 'hash-tag buckets for batch-read rows', intOption('--buckets', 1), DEFAULT_BUCKETS)
      .option('--grace <seconds>', 'how long the replaced version stays readable', intOption('--grace', 0), 60)
      .option('--force', 'write a fresh copy even if this version is already served (refreshes TTLs)', false)
      .option('--verify', 'compare the store with the bundle per kind of key and republish it when anything is missing (the store lost its data); prints the report', false)
      .option('--no-repair', 'with --verify: report only, write nothing (exit 3 when something is missing)')
      .option('--no-progress', 'no progress output')
      .action(async (o: PublishFlags) => {
        const store = loadConfig({ store: o.store }).store;
        if (store.startsWith('memory:')) throw new PymkError('PYMK_CONFIG', 'pass --store URL (or set PYMK_STORE): publish writes to Redis or Redis Cluster');
        if (o.since !== undefined && (o.verify || o.force)) throw new PymkError('PYMK_BAD_PARAM', '--since is an incremental publish: not with --verify or --force');
        const ttl = ttlConfig(o.ttl ?? {});
        const target = await openKvTarget(store); // fails fast on a bad URL, before the bundle loads
        try {
          const snap = await loadSnapshot(o.bundle);
          if (o.since !== undefined) {
            const r = await publishChanges(target.kv, target.space, snap, await loadSnapshot(o.since), { chunkUsers: o.chunk, progress: progressFactory({ mode: o.progress ? 'auto' : 'silent' }) });
            process.stdout.write(`${JSON.stringify(r)}\n`);
            return;
          }
          const opts: PublishOptions = {
            ttl,
            chunkUsers: o.chunk,
            inFlight: o.inFlight,
            buckets: o.buckets,
            graceMs: o.grace * 1000,
            force: o.force,
            progress: progressFactory({ mode: o.progress ? 'auto' : 'silent' }),
          };
          if (o.verify) {
            const v = await verifyPublished(target.kv, target.space, snap, { ...opts, repair: o.repair });
            process.stdout.write(`${JSON.stringify(v)}\n`);
            if (v.state === 'other-version') {
              throw new PymkError('PYMK_CONFIG', `the store serves ${v.served}, not ${snap.version}: nothing repaired (publish without --verify to switch it)`);
            }
            if (v.state !== 'ok' && !v.repaired) process.exitCode = 3;
            return;
          }
          const r = await publishSnapshot(target.kv, target.space, snap, opts);
          process.stdout.write(`${JSON.stringify(r)}\n`);
        } finally {
          await target.kv.close();
        }
      });
  },
};
