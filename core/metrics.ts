/**
 * What a run measures. Counters stop at the end of the measured window (durationMs); a drain
 * after it only closes invariants. Maps are emitted with sorted keys so that JSON never depends
 * on the order things first happened.
 */
export type TimeCategory = 'user' | 'kernel' | 'host' | 'sync' | 'halt' | 'idle';
export const TIME_CATEGORIES: readonly TimeCategory[] = ['user', 'kernel', 'host', 'sync', 'halt', 'idle'];

/**
 * Add `ns` of vCPU time to `cat`. Through branches, not `time[cat] += ns`: a property looked up by
 * a key that takes six values is a megamorphic keyed access, and time is added at every step.
 */
export function addTime(time: Record<TimeCategory, number>, cat: TimeCategory, ns: number): void {
  if (cat === 'user') time.user += ns;
  else if (cat === 'kernel') time.kernel += ns;
  else if (cat === 'host') time.host += ns;
  else if (cat === 'sync') time.sync += ns;
  else if (cat === 'halt') time.halt += ns;
  else time.idle += ns;
}

export class Counter {
  /** A box per key, so that counting one more (every exit, every injection) is one lookup. */
  private readonly map = new Map<string, { n: number }>();
  add(key: string, n = 1): void {
    const box = this.map.get(key);
    if (box === undefined) this.map.set(key, { n });
    else box.n += n;
  }
  get total(): number {
    let t = 0;
    for (const b of this.map.values()) t += b.n;
    return t;
  }
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.map.keys()].sort()) out[k] = this.map.get(k)!.n;
    return out;
  }
}

/**
 * Samples of a quantity (ns), in a typed array that doubles as it fills: a long run keeps millions
 * of fault latencies, at 8 bytes each, and sorts them as numbers without a comparator.
 */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }

  /** The samples in ascending order (a copy). */
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

export class MetricsCollector {
  measuring = true;
  readonly exits = new Counter();
  readonly injections = new Counter();
  readonly syncFallbacks = new Counter();
  readonly haltReasons = new Counter();
  /** Faults left outstanding without a signal where the vCPU re-enters and faults again (arm64 v2–v4). */
  readonly retryReasons = new Counter();
  readonly hazards = new Counter();
  /** Exceptions that reached non-reentrant exception code, by its region (RunMetrics.unsafeInjections). */
  readonly unsafeInjections = new Counter();
  readonly archEvents = new Counter();
  readonly time: Record<TimeCategory, number> = { user: 0, kernel: 0, host: 0, sync: 0, halt: 0, idle: 0 };
  faults = 0;
  /** First touches of never-populated pages: zero-filled by the host, no I/O. */
  zeroFills = 0;
  /** Faults on pages read ahead into the swap cache: mapped by the host, no I/O. */
  swapCacheHits = 0;
  /** Pages read along with a faulting one (swap readahead). */
  readaheadPages = 0;
  asyncStarted = 0;
  notPresentDelivered = 0;
  readyDelivered = 0;
  repeatedFaults = 0;
  wakeupAll = 0;
  contextSwitches = 0;
  /** Tasks that changed vCPU: pulled by a vCPU about to idle (newidle balancing), or woken onto an idle one (select_idle_sibling()). */
  migrations = 0;
  readonly latencies = new Samples();
  /** Call-function IPIs sent, and each sender's wait from the call to the target's unlock. */
  ipis = 0;
  /** Calls refused because the target CPU was offline (generic_exec_single(): -ENXIO, no IPI). */
  ipisRefused = 0;
  readonly ipiWaits = new Samples();
  /** First touches of processes' own memory: the guest's page faults (do_anonymous_page()). */
  guestPageFaults = 0;
  /** Tasks (a job set's processes) that exited in the window, by group. */
  readonly taskExits = new Counter();
  /**
   * Tasks that ran all their passes in the window, and job sets whose last process exited: group
   * and completion time (the run starts at 0).
   */
  readonly completions: { readonly group: string; readonly ns: number }[] = [];
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
