/**
 * Joins the calls made within one event-loop turn into one: `add(items)` resolves when a single `flush` of
 * every item added in that turn has finished (or rejects with its error). The invalidator announces the
 * users of the events it applied concurrently this way, one L2 delete and one bus message for the lot
 * instead of one round trip each, and each event is still acked only after its users were announced.
 */
export class Coalescer<T> {
  private pending: T[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  add(items: readonly T[]): Promise<void> {
    this.pending.push(...items);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.pending;
      this.pending = [];
      this.flushing = null;
      return this.flush(batch);
    });
    return this.flushing;
  }
}
