/**
 * Concurrency groups with GitHub's documented semantics: in one group at most one run (or job)
 * is running. With `queue: single` (the default) at most one is pending: a newer one cancels
 * the older pending one. With `queue: max` they wait in order, up to a maximum queue length.
 * With `cancel-in-progress: true` a newer one also cancels the running one.
 */

export interface Holder {
  /** Called when this holder is cancelled while running (cancel-in-progress). */
  readonly cancelRunning: () => void;
  readonly label: string;
}

interface Pending {
  readonly holder: Holder;
  readonly resolve: (outcome: 'acquired' | 'cancelled') => void;
}

interface Group {
  running?: Holder;
  pending: Pending[];
}

/** How many may wait with `queue: max` (GitHub documents a maximum without a number; ours). */
export const MAX_QUEUE = 100;

export class ConcurrencyGroups {
  private readonly groups = new Map<string, Group>();
  /** Every decision, for tests: `group: label running|pending|cancelled (…)`. */
  readonly history: string[] = [];

  /**
   * Waits until `holder` may run in `group`. Resolves 'cancelled' when it was cancelled while
   * pending. Call release() once done (only after 'acquired').
   */
  async acquire(
    name: string,
    holder: Holder,
    options: { cancelInProgress: boolean; queue?: 'single' | 'max' },
  ): Promise<'acquired' | 'cancelled'> {
    const key = name.toLowerCase();
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { pending: [] }));
    if (options.queue !== 'max') {
      for (const old of g.pending.splice(0)) {
        this.history.push(`${name}: ${old.holder.label} cancelled (pending, replaced by ${holder.label})`);
        old.resolve('cancelled');
      }
    }
    if (!g.running) {
      g.running = holder;
      this.history.push(`${name}: ${holder.label} running`);
      return 'acquired';
    }
    if (options.cancelInProgress) {
      this.history.push(`${name}: ${g.running.label} cancelled (in progress, by ${holder.label})`);
      g.running.cancelRunning();
    }
    if (g.pending.length >= MAX_QUEUE) {
      this.history.push(`${name}: ${holder.label} cancelled (queue full)`);
      return 'cancelled';
    }
    this.history.push(`${name}: ${holder.label} pending`);
    const group = g;
    return new Promise((resolve) => {
      group.pending.push({ holder, resolve });
    });
  }

  release(name: string, holder: Holder): void {
    const key = name.toLowerCase();
    const g = this.groups.get(key);
    if (!g || g.running !== holder) return;
    g.running = undefined;
    const next = g.pending.shift();
    if (next) {
      g.running = next.holder;
      this.history.push(`${name}: ${next.holder.label} running`);
      next.resolve('acquired');
    } else {
      this.groups.delete(key);
    }
  }
}
