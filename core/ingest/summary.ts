import { percentile } from '../metrics.js';
import { UPSTREAM_TRACEPOINTS } from '../tracepoints.js';
import type { CaptureScan } from './capture.js';
import type { ApfLife, Lives, ThreadCounts, TraceFinding } from './lives.js';

/** A design's token formula `(id++ << vcpuBits) | vcpu_id`, as an architecture states it (arches/token.ts). */
export interface TokenLayout {
  readonly design: string;
  readonly vcpuBits: number;
  readonly source: string;
}

/** What a capture is read against, from the architectures (arches/ingest-facts.ts). */
export interface IngestFacts {
  readonly tokenLayouts: readonly TokenLayout[];
  /** ASYNC_PF_PER_VCPU: more outstanding on one vCPU breaks invariant 5. */
  readonly asyncPfPerVcpu: number;
}

export interface DurationStats {
  readonly count: number;
  readonly minNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly maxNs: number;
  readonly meanNs: number;
}

/** A scenario's `backing.latency` fitted to the capture (README "Scenario files"): lognormal by its median and σ. */
export interface LatencyFit {
  readonly dist: 'lognormal';
  readonly us: number;
  readonly sigma: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly samples: number;
}

export interface IngestReport {
  readonly source: string;
  readonly lines: number;
  /** The first and last async-PF event, in ns after the whole second epochSecs (a host's uptime passes 2^53 ns). */
  readonly window: { readonly epochSecs: number; readonly fromNs: number; readonly toNs: number };
  /** Each upstream event's count, in the order a fault meets them. */
  readonly events: Readonly<Record<string, number>>;
  readonly otherEvents: CaptureScan['otherEvents'];
  readonly unreadable: CaptureScan['unreadable'];
  readonly reordered: number;
  readonly unterminated: CaptureScan['unterminated'];
  readonly lost: CaptureScan['lost'];
  readonly threads: readonly ThreadCounts[];
  readonly workers: Lives['workers'];
  readonly faults: {
    readonly asyncPageFaults: number;
    readonly completed: number;
    readonly ready: number;
    readonly inFlightAtEnd: number;
    /** Outstanding at a wake-all on their vCPU and never ready: dropped by KVM (ThreadCounts.coveredByWakeAll). */
    readonly coveredByWakeAll: number;
    readonly syncAfterTry: number;
    readonly undecidedAtEnd: number;
    readonly repeatedFaults: number;
    readonly wakeAll: number;
    readonly begunBefore: Lives['begunBefore'];
    readonly readyBeforeCompleted: number;
  };
  /**
   * fetch: not-present → completed, the async work's run as the host saw it (workqueue wait and
   * the backing store); doneToReady: completed → ready, the work waiting on the done list for the
   * vCPU to dequeue it; whole: not-present → ready.
   */
  readonly durations: { readonly fetch: DurationStats | null; readonly doneToReady: DurationStats | null; readonly whole: DurationStats | null };
  readonly latencyFit: LatencyFit | null;
  readonly tokenLayouts: readonly { readonly design: string; readonly source: string; readonly matching: number; readonly notMatching: number }[];
  readonly findings: readonly TraceFinding[];
}

export function summarizeCapture(scan: CaptureScan, built: Lives, layouts: readonly TokenLayout[]): IngestReport {
  const sum = (f: (t: ThreadCounts) => number) => built.threads.reduce((a, t) => a + f(t), 0);
  const lives = built.lives;
  const fetch = lives.filter((l) => l.completedNs !== null).map((l) => l.completedNs! - l.notPresentNs);
  return {
    source: scan.source,
    lines: scan.lines,
    window: { epochSecs: scan.epochSecs, fromNs: scan.fromNs, toNs: scan.toNs },
    events: scan.counts,
    otherEvents: scan.otherEvents,
    unreadable: scan.unreadable,
    reordered: scan.reordered,
    unterminated: scan.unterminated,
    lost: scan.lost,
    threads: built.threads,
    workers: built.workers,
    faults: {
      asyncPageFaults: lives.length,
      completed: fetch.length,
      ready: sum((t) => t.ready),
      inFlightAtEnd: sum((t) => t.inFlightAtEnd),
      coveredByWakeAll: sum((t) => t.coveredByWakeAll),
      syncAfterTry: sum((t) => t.syncAfterTry),
      undecidedAtEnd: sum((t) => t.undecidedAtEnd),
      repeatedFaults: sum((t) => t.repeatedFaults),
      wakeAll: sum((t) => t.wakeAll),
      begunBefore: built.begunBefore,
      readyBeforeCompleted: built.readyBeforeCompleted,
    },
    durations: {
      fetch: stats(fetch),
      doneToReady: stats(lives.filter((l) => l.completedNs !== null && l.readyNs !== null && l.readyNs >= l.completedNs).map((l) => l.readyNs! - l.completedNs!)),
      whole: stats(lives.filter((l) => l.readyNs !== null).map((l) => l.readyNs! - l.notPresentNs)),
    },
    latencyFit: fitLognormal(fetch),
    tokenLayouts: layouts.map((layout) => ({ design: layout.design, source: layout.source, ...matchLayout(layout, lives, built.threads) })),
    findings: built.findings,
  };
}

function stats(ns: readonly number[]): DurationStats | null {
  if (ns.length === 0) return null;
  const sorted = Float64Array.from(ns).sort();
  return {
    count: sorted.length,
    minNs: sorted[0],
    p50Ns: percentile(sorted, 50),
    p90Ns: percentile(sorted, 90),
    p99Ns: percentile(sorted, 99),
    maxNs: sorted[sorted.length - 1],
    meanNs: Math.round(ns.reduce((a, b) => a + b, 0) / ns.length),
  };
}

/**
 * The lognormal whose median and σ are those of the logs of the fetch times (maximum likelihood),
 * bounded by the fastest and slowest fetch seen. A zero time (two stamps in one µs) has no log
 * and is left out of the fit but not of the bounds' floor.
 */
export function fitLognormal(ns: readonly number[]): LatencyFit | null {
  const logs = ns.filter((n) => n > 0).map((n) => Math.log(n / 1000));
  if (logs.length < 2) return null;
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const variance = logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length;
  // To 0.1 µs, and never below it: a scenario takes no median of 0 nor a maxUs below its minUs.
  const us = (n: number) => Math.max(0.1, Math.round(n * 10) / 10);
  return {
    dist: 'lognormal',
    us: us(Math.exp(mean)),
    sigma: Math.round(Math.sqrt(variance) * 100) / 100,
    minUs: us(ns.reduce((a, b) => Math.min(a, b)) / 1000),
    maxUs: us(ns.reduce((a, b) => Math.max(a, b)) / 1000),
    samples: logs.length,
  };
}

/** Faults on a thread named for its vCPU whose token's low bits are (or are not) that vCPU's id. */
function matchLayout(layout: TokenLayout, lives: readonly ApfLife[], threads: readonly ThreadCounts[]): { matching: number; notMatching: number } {
  const vcpuOf = new Map(threads.map((t) => [t.pid, t.vcpu]));
  const span = 2 ** layout.vcpuBits;
  let matching = 0;
  let notMatching = 0;
  for (const l of lives) {
    const vcpu = vcpuOf.get(l.pid);
    if (vcpu === null || vcpu === undefined) continue;
    const low = typeof l.token === 'number' ? l.token % span : Number(BigInt.asUintN(layout.vcpuBits, l.token));
    if (low === vcpu) matching++;
    else notMatching++;
  }
  return { matching, notMatching };
}
