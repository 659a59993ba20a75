import { IntMap } from '../engine/int-map.js';
import { SWAP_CLUSTER_MAX } from '../host/reclaim-throttle.js';
import type { RandomStream } from '../engine/rng.js';
import { MAX_EXPONENTIAL_DEVIATE, MAX_NORMAL_DEVIATE } from '../scenario/limits.js';
import type { LatencySpec } from '../scenario/schema.js';

/** A swap device's counts (SwapDevice.figures()). */
export interface SwapFigures {
  readonly reads: number;
  readonly writes: number;
  readonly writePages: number;
  readonly maxQueued: number;
  readonly latencyNsSum: number;
}

/**
 * A swap device: each read (and each swap-out write) takes a latency drawn from the scenario's
 * distribution, and at most `queueDepth` are in service at once; the rest wait in FIFO order. A page already being
 * read is not read twice: a second request joins the first (the swap cache).
 */
export class SwapDevice {
  private readonly inService = new IntMap<true>();
  private readonly waiting: number[] = [];
  /** The gfns in `waiting`, for an O(1) "already queued?" on every fault. */
  private readonly queued = new IntMap<true>();
  private waitHead = 0;
  /** Swap-out writes get ids of their own below 0, so that they share the queue with reads. */
  private nextWriteId = -1;
  reads = 0;
  /** Write I/Os, each a batch of SWAP_CLUSTER_MAX pages, and the pages they carried. */
  writes = 0;
  writePages = 0;
  /** Dirty pages evicted since the last batch went out. */
  private batched = 0;
  maxQueued = 0;
  /** The latencies of the reads, summed (their mean is a metric). */
  latencyNsSum = 0;

  constructor(
    private readonly latency: LatencySpec,
    readonly queueDepth: number,
    private readonly rng: RandomStream,
    /** Called when a read starts, with the time it will complete; the caller schedules it. */
    private readonly start: (gfn: number, completesAt: number) => void,
    /** SWP_SYNCHRONOUS_IO: a read happens in the faulting thread (scenario backing.synchronousIo). */
    readonly synchronous = false,
  ) {}

  /** The figures so far: the run takes them at the end of its measured window (core/sim/simulation.ts endMeasurement()). */
  figures(): SwapFigures {
    return { reads: this.reads, writes: this.writes, writePages: this.writePages, maxQueued: this.maxQueued, latencyNsSum: this.latencyNsSum };
  }

  isReading(gfn: number): boolean {
    return this.inService.has(gfn) || this.queued.has(gfn);
  }

  /** Request a read of `gfn`; returns false if one is already under way. */
  request(gfn: number, now: number): boolean {
    if (this.isReading(gfn)) return false;
    if (this.inService.size < this.queueDepth) {
      this.begin(gfn, now);
    } else {
      this.waiting.push(gfn);
      this.queued.set(gfn, true);
      this.maxQueued = Math.max(this.maxQueued, this.waiting.length - this.waitHead);
    }
    return true;
  }

  /**
   * A swap-out write of a dirty page evicted. Reclaim evicts in batches of SWAP_CLUSTER_MAX (32)
   * pages and gives them consecutive swap slots (mm/swapfile.c allocates slots from a per-CPU
   * cluster), and the block layer merges their bios under the reclaimer's plug
   * (shrink_lruvec() blk_start_plug()), so a batch goes to the device as one write. The write
   * takes a place in the device's queue like a read, for a latency drawn from the same
   * distribution (model assumption: the read measurement is the only one there is), and nobody
   * waits for it. Returns true when the page's batch went out; a partial batch waits for more.
   */
  write(now: number): boolean {
    if (++this.batched < SWAP_CLUSTER_MAX) return false;
    this.batched = 0;
    const id = this.nextWriteId;
    // Ids cycle within the event queue's 32-bit argument; 2^30 writes apart never meet in the queue.
    this.nextWriteId = id <= -0x40000000 ? -1 : id - 1;
    this.request(id, now);
    return true;
  }

  /** The read of `gfn` finished: start the next waiting one. */
  finish(gfn: number, now: number): void {
    this.inService.delete(gfn);
    if (this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead++];
      this.queued.delete(next);
      if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitHead);
        this.waitHead = 0;
      }
      this.begin(next, now);
    }
  }

  private begin(gfn: number, now: number): void {
    this.inService.set(gfn, true);
    const ns = this.draw();
    if (gfn >= 0) {
      this.reads++;
      this.latencyNsSum += ns;
    } else {
      // Counted where the write starts, as a read is: the window's figures (figures()) then give
      // each write its pages, a batch still queued behind reads neither.
      this.writes++;
      this.writePages += SWAP_CLUSTER_MAX;
    }
    this.start(gfn, now + ns);
  }

  private draw(): number {
    const l = this.latency;
    let us: number;
    if (l.dist === 'fixed') us = l.us;
    else if (l.dist === 'exponential') us = this.rng.exponential(l.us);
    else us = l.us * Math.exp(l.sigma * this.rng.normal());
    return servedNs(us, l);
  }
}

/** A drawn latency in µs as the device serves it: within minUs and maxUs, in whole ns, at least 1 ns. */
function servedNs(us: number, l: LatencySpec): number {
  const capped = l.maxUs === undefined ? Math.max(us, l.minUs) : Math.min(Math.max(us, l.minUs), l.maxUs);
  return Math.max(1, Math.round(capped * 1000));
}

/**
 * The shortest and longest latency the device can serve, in ns: the distribution's extreme draws
 * (the largest deviates a 53-bit uniform gives, as the loader's one-hour check takes them,
 * core/scenario/bounds.ts) through minUs, maxUs and the rounding draw() applies.
 */
export function latencyRangeNs(l: LatencySpec): { readonly minNs: number; readonly maxNs: number } {
  const spread = l.dist === 'lognormal' ? Math.exp(l.sigma * MAX_NORMAL_DEVIATE) : 1;
  const [lo, hi] =
    l.dist === 'fixed' ? [l.us, l.us] : l.dist === 'exponential' ? [0, l.us * MAX_EXPONENTIAL_DEVIATE] : [l.us / spread, l.us * spread];
  return { minNs: servedNs(lo, l), maxNs: servedNs(hi, l) };
}
