/**
 * Concurrency groups with GitHub's documented semantics: in one group at most one run (or job)
 * is running and at most one is pending; a newer pending one cancels the older pending one;
 * with `cancel-in-progress: true` a newer one also cancels the running one.
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
  pending?: Pending;
}

export class ConcurrencyGroups {
  private readonly groups = new Map<string, Group>();
  /** Every decision, for tests: `group: label → running|pending|cancelled (replaced by …)`. */
  readonly history: string[] = [];

  /**
   * Waits until `holder` may run in `group`. Resolves 'cancelled' when a newer run replaced it
   * while pending. Call the returned release once done (only after 'acquired').
   */
  async acquire(name: string, holder: Holder, cancelInProgress: boolean): Promise<'acquired' | 'cancelled'> {
    const key = name.toLowerCase();
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = {}));
    if (g.pending) {
      this.history.push(`${name}: ${g.pending.holder.label} cancelled (pending, replaced by ${holder.label})`);
      const old = g.pending;
      g.pending = undefined;
      old.resolve('cancelled');
    }
    if (!g.running) {
      g.running = holder;
      this.history.push(`${name}: ${holder.label} running`);
      return 'acquired';
    }
    if (cancelInProgress) {
      this.history.push(`${name}: ${g.running.label} cancelled (in progress, by ${holder.label})`);
      g.running.cancelRunning();
    }
    this.history.push(`${name}: ${holder.label} pending`);
    return new Promise((resolve) => {
      g.pending = { holder, resolve };
    });
  }

  release(name: string, holder: Holder): void {
    const key = name.toLowerCase();
    const g = this.groups.get(key);
    if (!g || g.running !== holder) return;
    g.running = undefined;
    const next = g.pending;
    if (next) {
      g.pending = undefined;
      g.running = next.holder;
      this.history.push(`${name}: ${next.holder.label} running`);
      next.resolve('acquired');
    } else {
      this.groups.delete(key);
    }
  }
}
