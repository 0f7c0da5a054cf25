/**
 * The services some suites need (the machine's Redis, the redis-server binaries for private servers and
 * clusters), found in one place. Without a service a suite skips with the reason, unless the run requires
 * services (PYMK_REQUIRE_SERVICES=1, set by .ci/run): then the suite's file fails with the reason instead,
 * so CI cannot pass by skipping. Suites that need optional shared data sets are not services: they skip.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { clusterUnavailable } from './redisCluster.js';

const run = promisify(execFile);

/** True when the run must have every service (PYMK_REQUIRE_SERVICES=1). */
export function servicesRequired(): boolean {
  return process.env.PYMK_REQUIRE_SERVICES === '1';
}

/** The machine's Redis for tests: PYMK_TEST_REDIS, else redis://127.0.0.1:6379 (no query string). */
export function testRedisUrl(): string {
  return process.env.PYMK_TEST_REDIS || 'redis://127.0.0.1:6379';
}

/**
 * `false` when the service is there (reason null); else the reason to skip, or, when services are required,
 * throws an Error with the reason and `fix`, so the test file fails.
 */
export function skipUnlessRequired(reason: string | null, fix: string): string | false {
  if (reason === null) return false;
  if (servicesRequired()) throw new Error(`${reason}, and PYMK_REQUIRE_SERVICES=1 requires it (${fix})`);
  return reason;
}

/** Why the machine's Redis cannot be used (it does not answer PING at testRedisUrl()), or null. */
export async function testRedisMissing(): Promise<string | null> {
  const url = testRedisUrl();
  try {
    const { stdout } = await run('redis-cli', ['-u', url, 'ping'], { timeout: 2000 });
    if (stdout.trim() === 'PONG') return null;
  } catch {
    // not answering, or no redis-cli
  }
  return `no Redis answers PING at ${url} (set PYMK_TEST_REDIS)`;
}

/** The machine's Redis for a suite: its URL, and `skip` for node:test (false when it answers; see skipUnlessRequired). */
export async function testRedis(): Promise<{ url: string; skip: string | false }> {
  return { url: testRedisUrl(), skip: skipUnlessRequired(await testRedisMissing(), 'run under .ci/with-redis, which starts a redis-server when none answers') };
}

/** `skip` for suites that start their own redis-server processes (see skipUnlessRequired). */
export async function redisServerSkip(): Promise<string | false> {
  return skipUnlessRequired(await clusterUnavailable(), 'install redis-server and redis-cli');
}
