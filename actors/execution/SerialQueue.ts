/**
 * One ordered path for everything that touches orders: signals, operator commands, broker events and
 * reconciliation run one job at a time, in arrival order. Two additions over a promise chain:
 * - `urgent` jobs (the kill switch's cancels and flatten) run before the jobs already waiting;
 * - the queue starts paused: jobs that arrive while the engine replays its journal and reconciles (signals,
 *   early broker events) wait instead of being dropped, and run once `resume()` is called.
 * A bound on waiting jobs keeps a stalled journal from growing memory without limit: past it, new
 * (non-urgent) jobs are refused with a counted reason.
 */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`execution queue full (${limit} jobs waiting)`);
  }
}

interface Job {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SerialQueue {
  private readonly jobs: Job[] = [];
  private running = false;
  private paused = true;
  refused = 0;

  constructor(private readonly limit = 10_000) {}

  get waiting(): number {
    return this.jobs.length;
  }

  get busy(): boolean {
    return this.running;
  }

  push<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    if (!urgent && this.jobs.length >= this.limit) {
      this.refused++;
      return Promise.reject(new QueueFullError(this.limit));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run: fn, resolve: resolve as (v: unknown) => void, reject };
      if (urgent) this.jobs.unshift(job);
      else this.jobs.push(job);
      this.pump();
    });
  }

  /** Resolves once nothing runs and nothing waits (tests step the engine to quiescence with it). */
  async idle(): Promise<void> {
    while (this.running || (this.jobs.length > 0 && !this.paused)) await new Promise((r) => setImmediate(r));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  private pump(): void {
    if (this.running || this.paused) return;
    const job = this.jobs.shift();
    if (!job) return;
    this.running = true;
    let p: Promise<unknown>;
    try {
      p = job.run();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(job.resolve, job.reject).finally(() => {
      this.running = false;
      this.pump();
    });
  }
}
