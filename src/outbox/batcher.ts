/**
 * Group commit: items pushed while a flush is running wait for the next one, so under load one
 * transaction (one fsync) carries many items and when idle an item is flushed at once.
 */
export class Batcher<T, R = void> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  private timer?: NodeJS.Timeout;

  /**
   * `lingerMs` > 0 holds a flush back that long unless an urgent item arrives: on SQLite a commit
   * is a synchronous fsync that stalls the event loop, so background work should share commits.
   */
  constructor(
    private readonly flushFn: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 500,
    private readonly lingerMs = 0,
  ) {}

  push(item: T, urgent = true): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (urgent || this.lingerMs === 0 || this.queue.length >= this.maxBatch) this.schedule();
      else this.timer ??= setTimeout(() => this.schedule(), this.lingerMs);
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything pushed so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.schedule();
      await this.flushing;
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a timer: gathers what arrived in this turn of the event loop without adding latency.
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing && this.queue.length > 0) this.flushing = this.run();
    });
  }

  private async run(): Promise<void> {
    // Yield first: `flushing` must be assigned before the finally below can clear it.
    await null;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.flushFn(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i] as R));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
