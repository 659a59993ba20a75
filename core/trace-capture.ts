import type { Variant } from './backend.js';
import { BadInputError } from './errors.js';
import { runVariant, type RunOptions, type RunResult } from './run.js';
import type { Scenario } from './scenario/schema.js';
import { isUpstreamTracepoint, type TraceFields } from './tracepoints.js';

/**
 * A run's tracepoints in time order, as `apf-lab trace` prints them: what a `trace-cmd record -e
 * kvm:kvm_*async*` of the host would hold for the simulated guest (facts/anchors.md §B).
 */

export interface CapturedEvent {
  readonly timeNs: number;
  readonly vcpu: number;
  readonly event: string;
  readonly fields: TraceFields;
}

export interface CaptureOptions extends Pick<RunOptions, 'seed' | 'onProgress' | 'signal' | 'sizeLimit'> {
  /** The window kept, in simulated ns from the start of the run (both ends included). */
  readonly fromNs?: number;
  readonly toNs?: number;
  /** Only these vCPUs; all when absent. */
  readonly vcpus?: readonly number[];
  /** Also the lab's own events (the arch backends' and apf_lab_*), not only Linux's tracepoints. */
  readonly lab?: boolean;
  /**
   * At most this many events: the first ones in time order (and, at one instant, in the order
   * emitted), as ftrace's ring buffer keeps them with `nooverwrite` (its default overwrite mode
   * keeps the newest); the window then ends at the last one's stamp.
   */
  readonly maxEvents?: number;
}

export interface TraceCapture {
  readonly variant: string;
  readonly events: readonly CapturedEvent[];
  /** The window actually covered: `toNs` is lowered when maxEvents cut the capture short. */
  readonly fromNs: number;
  readonly toNs: number;
  readonly cutAtMaxEvents: boolean;
  readonly result: RunResult;
}

/** The default cap on captured events: about 100 MiB of text, far beyond a terminal's use. */
export const DEFAULT_MAX_EVENTS = 1_000_000;

/**
 * Runs `variant` with a trace sink and keeps the events of the window. A vCPU stamps an event with
 * its own clock, which may run ahead of the engine's; it is never behind it, so once the engine's
 * clock has passed the window's end no event of the window is still to come and the run stops.
 */
export function captureTrace(scenario: Scenario, variant: Variant, options: CaptureOptions = {}): TraceCapture {
  const fromNs = options.fromNs ?? 0;
  let toNs = options.toNs ?? Infinity;
  if (!(fromNs >= 0) || !(toNs >= fromNs)) throw new BadInputError(`trace window ${fromNs}..${toNs} ns is empty or negative`);
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const vcpus = options.vcpus ? new Set(options.vcpus) : null;
  const kept: CapturedEvent[] = [];
  let cut = false;
  const sink = (timeNs: number, vcpu: number, event: string, fields: TraceFields) => {
    if (timeNs < fromNs || timeNs > toNs) return;
    if (vcpus && !vcpus.has(vcpu)) return;
    if (!options.lab && !isUpstreamTracepoint(event)) return;
    kept.push({ timeNs, vcpu, event, fields: { ...fields } });
    // Full: nothing stamped after the maxEvents-th stamp can be among the first maxEvents. An event
    // stamped before it may still come; it is kept, and the sort below puts it in its place.
    if (!cut && kept.length >= maxEvents) {
      cut = true;
      toNs = Math.min(toNs, kept.map((e) => e.timeNs).sort((a, b) => a - b)[maxEvents - 1]);
    }
  };
  // A later event is stamped no earlier than the engine's clock: past toNs, nothing of the window is to come.
  const stopWhen = (nowNs: number) => nowNs > toNs;
  const result = runVariant(scenario, variant, { seed: options.seed, trace: sink, onProgress: options.onProgress, signal: options.signal, sizeLimit: options.sizeLimit, stopWhen });
  // Array.prototype.sort is stable (ES2019): events of one stamp stay in the order emitted.
  let events = kept.filter((e) => e.timeNs <= toNs).sort((a, b) => a.timeNs - b.timeNs);
  // Events of the instant the capture filled, beyond the cap (a tick on every vCPU at once): the
  // first maxEvents in time and emission order are kept, as a `nooverwrite` ring buffer would.
  if (events.length > maxEvents) events = events.slice(0, maxEvents);
  if (cut) toNs = events[events.length - 1].timeNs;
  const endNs = result.run.simulatedNs;
  if (fromNs > endNs) throw new BadInputError(`the run ended at ${endNs / 1e6} ms of simulated time, before the window's start (${fromNs / 1e6} ms)`);
  return { variant: variant.id, events, fromNs, toNs: Math.min(toNs, endNs), cutAtMaxEvents: cut, result };
}
