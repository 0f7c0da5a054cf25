/**
 * The invalidation channel on Redis pub/sub (ioredis). URL: `redis://[user:password@]host[:port][/db][?channel=pymk:invalidate]`.
 * publish() is one PUBLISH; each subscribe() runs on a connection of its own in subscriber mode and
 * resolves once Redis confirmed the SUBSCRIBE, so nothing published after it resolves is missed while the
 * connection holds. Pub/sub keeps nothing: a subscriber that was disconnected misses what went out meanwhile.
 */
import { Redis } from 'ioredis';
import { PymkError, isPymkError } from '../core/errors.js';
import { CONNECTION_DEFAULTS, parseRedisUrl } from '../store/redis.js';
import { decodeInvalidation, encodeInvalidation, type InvalidationBus, type InvalidationHandler } from './bus.js';

function unavailable(url: string, err: unknown): PymkError {
  if (isPymkError(err)) return err;
  return new PymkError('PYMK_EVENTS_UNAVAILABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`);
}

export class RedisBus implements InvalidationBus {
  private readonly subscribers = new Set<Redis>();

  private constructor(
    readonly url: string,
    private readonly channel: string,
    private readonly client: Redis,
  ) {}

  static async open(url: string): Promise<RedisBus> {
    const { options, params } = parseRedisUrl(url);
    const channel = params.get('channel') ?? 'pymk:invalidate';
    if (channel.length === 0) throw new PymkError('PYMK_CONFIG', `invalidation bus URL '${url}': channel is empty`);
    const client = new Redis({ ...CONNECTION_DEFAULTS, ...options });
    client.on('error', () => {}); // failures surface on the calls
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw unavailable(url, e);
    }
    return new RedisBus(url, channel, client);
  }

  async publish(userIds: readonly string[], excluded: readonly (readonly [string, string])[] = []): Promise<void> {
    try {
      await this.client.publish(this.channel, encodeInvalidation(userIds, excluded));
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async subscribe(handler: InvalidationHandler, onError?: (e: Error) => void): Promise<() => Promise<void>> {
    const sub = this.client.duplicate({ lazyConnect: true, maxRetriesPerRequest: null });
    sub.on('error', () => {});
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      let m: ReturnType<typeof decodeInvalidation>;
      try {
        m = decodeInvalidation(text);
      } catch (e) {
        onError?.(e as Error);
        return;
      }
      handler(m.users, m.excluded);
    });
    try {
      await sub.connect();
      await sub.subscribe(this.channel);
    } catch (e) {
      sub.disconnect();
      throw unavailable(this.url, e);
    }
    this.subscribers.add(sub);
    return async () => {
      this.subscribers.delete(sub);
      await sub.quit().catch(() => sub.disconnect());
    };
  }

  async close(): Promise<void> {
    for (const s of [...this.subscribers]) await s.quit().catch(() => s.disconnect());
    this.subscribers.clear();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
