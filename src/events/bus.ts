/**
 * The invalidation channel: the invalidator announces the users whose answers changed, and every serving
 * process subscribed evicts them from its caches (L1 today, L2 later). One interface, implementations
 * chosen by URL scheme like the logs (openInvalidationBus in index.ts):
 *
 * - `memory://[NAME]` — in the process (`memory://` private to the handle, `memory://NAME` shared by name):
 *   the embedded server running the invalidator in-process.
 * - `redis://host:port[/db][?channel=pymk:invalidate]` — Redis pub/sub (redisBus.ts), across processes.
 *
 * Delivery is at-most-once per subscriber (pub/sub: a subscriber that is disconnected when a message goes
 * out misses it), so the cache TTL stays the bound on staleness; the invalidator publishes only after the
 * store write, and an event whose announcement failed is retried whole.
 */
import { PymkError } from '../core/errors.js';

/**
 * Called with the external ids of users whose answers may have changed, and the pairs (viewer, user not to
 * show them; viewer NUL = everyone) the announced events excluded, for answers the store is not read for.
 */
export type InvalidationHandler = (userIds: string[], excluded: [string, string][]) => void;

export interface InvalidationBus {
  readonly url: string;
  /** Announces users (and the pairs their events excluded) to every subscriber; resolves once the channel took the message. */
  publish(userIds: readonly string[], excluded?: readonly (readonly [string, string])[]): Promise<void>;
  /** Starts delivering announcements to `handler`; resolves once subscribed, with a function that stops it. */
  subscribe(handler: InvalidationHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The message on the wire: `{"v":1,"users":[…],"excluded":[[viewer,user],…]}` (`excluded` may be absent). */
export function encodeInvalidation(userIds: readonly string[], excluded: readonly (readonly [string, string])[] = []): string {
  return JSON.stringify(excluded.length > 0 ? { v: 1, users: userIds, excluded } : { v: 1, users: userIds });
}

export function decodeInvalidation(text: string): { users: string[]; excluded: [string, string][] } {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new PymkError('PYMK_BAD_EVENT', 'invalidation message: not JSON');
  }
  const m = x as { v?: unknown; users?: unknown; excluded?: unknown } | null;
  const users = m?.users;
  if (m?.v !== 1 || !Array.isArray(users) || !users.every((u) => typeof u === 'string')) {
    throw new PymkError('PYMK_BAD_EVENT', 'invalidation message: expected {"v":1,"users":[user ids]}');
  }
  // A malformed `excluded` is dropped on its own: the users are still evicted.
  const excluded = Array.isArray(m.excluded) ? m.excluded.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string') : [];
  return { users: users as string[], excluded };
}

const CHANNELS = new Map<string, Set<InvalidationHandler>>();

export class MemoryBus implements InvalidationBus {
  private readonly handlers: Set<InvalidationHandler>;
  private readonly mine = new Set<InvalidationHandler>();

  constructor(readonly url: string) {
    const name = new URL(url).hostname;
    let set = name ? CHANNELS.get(name) : undefined;
    if (!set) {
      set = new Set();
      if (name) CHANNELS.set(name, set);
    }
    this.handlers = set;
  }

  async publish(userIds: readonly string[], excluded: readonly (readonly [string, string])[] = []): Promise<void> {
    for (const h of [...this.handlers]) h([...userIds], excluded.map(([v, u]) => [v, u]));
  }

  async subscribe(handler: InvalidationHandler): Promise<() => Promise<void>> {
    const h: InvalidationHandler = (ids, excluded) => handler(ids, excluded);
    this.handlers.add(h);
    this.mine.add(h);
    return async () => {
      this.handlers.delete(h);
      this.mine.delete(h);
    };
  }

  async close(): Promise<void> {
    for (const h of this.mine) this.handlers.delete(h);
    this.mine.clear();
  }
}
