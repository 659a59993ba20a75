import type { Variant } from './backend.js';
import { WAKE_ALL } from './guest/sleep-table.js';
import { runVariant, type RunOptions } from './run.js';
import { PAGE_SIZE } from './scenario/limits.js';
import type { Scenario } from './scenario/schema.js';

/**
 * The tracepoints of a few faults of one run, fault by fault: what `apf-lab diff --what trace`
 * sets side by side for two variants on the same scenario and seed (the same fault arrivals).
 */

/** One tracepoint of a fault, its time made relative to the fault's first one. */
export interface FaultTraceEvent {
  readonly event: string;
  readonly fields: Readonly<Record<string, number>>;
  readonly sinceStartNs: number;
}

/** One async page fault (one vCPU, one gfn) from its kvm_try_async_get_page to its page-ready. */
export interface TracedFault {
  readonly gfn: number;
  readonly vcpu: number;
  /** The token its not-present announced; null if none was traced. */
  readonly token: number | null;
  readonly startNs: number;
  readonly events: readonly FaultTraceEvent[];
}

export interface FaultTraceOptions extends Pick<RunOptions, 'seed' | 'onProgress' | 'signal' | 'sizeLimit'> {
  /** The gfns to follow, each its first async fault; when absent, the run's first `count` faults. */
  readonly gfns?: readonly number[];
  readonly count?: number;
}

export interface FaultTrace {
  readonly variant: string;
  /** One entry per fault followed; null where the run traced no async fault on that gfn. */
  readonly faults: readonly { readonly gfn: number; readonly fault: TracedFault | null }[];
  /** Simulated time at which the run was stopped once every fault followed was over; null if it ran to its end. */
  readonly stoppedAtNs: number | null;
}

/**
 * How long after the last page-ready of the faults followed the run goes on before it is stopped,
 * so that what follows a page-ready on its vCPU (an acknowledgement) is traced too.
 */
export const FAULT_TRACE_TAIL_NS = 10_000_000;

/** The prefix of the events core emits for the lab's own use, which no kernel or series traces. */
const LAB_ONLY = 'apf_lab_';

interface Episode {
  readonly gfn: number;
  readonly vcpu: number;
  readonly startNs: number;
  readonly seq: number;
  token: number | null;
  readyNs: number | null;
  readonly events: { event: string; fields: Readonly<Record<string, number>>; timeNs: number; seq: number }[];
}

/**
 * Runs `variant` with a trace sink and returns the events of the faults followed. Events are
 * attributed as the tracepoints name them: by gfn or gva, by the token a not-present announced,
 * and an event that names neither to its vCPU's last page-ready (one unacknowledged page-ready per
 * vCPU, invariant 3). A fault starts at its kvm_try_async_get_page or, where the guest asks for the
 * page itself and the host traces no fault (x86-ve, arm64-s2), at its kvm_async_pf_not_present. Only a
 * fault's first episode counts: a later fault on the same gfn, after its page-ready, is another fault. The run stops once the clock is FAULT_TRACE_TAIL_NS past the last
 * page-ready of the faults followed (an event is stamped no earlier than the clock when it is
 * emitted, so what is still to come is later than that); it runs to its end if one never completes.
 */
export function traceFaults(scenario: Scenario, variant: Variant, options: FaultTraceOptions = {}): FaultTrace {
  const count = options.count ?? 3;
  const episodes = new Map<string, Episode>();
  const byToken = new Map<string, Episode>();
  const lastReady = new Map<number, Episode | null>();
  let seq = 0;

  const record = (ep: Episode | undefined, timeNs: number, event: string, fields: Readonly<Record<string, number>>) => {
    if (ep) ep.events.push({ event, fields: { ...fields }, timeNs, seq });
  };
  const open = (vcpu: number, gfn: number) => {
    const ep = episodes.get(`${vcpu}:${gfn}`);
    return ep && ep.readyNs === null ? ep : undefined;
  };
  const begin = (vcpu: number, gfn: number, timeNs: number) => {
    const key = `${vcpu}:${gfn}`;
    if (episodes.has(key)) return;
    const ep: Episode = { gfn, vcpu, startNs: timeNs, seq, token: null, readyNs: null, events: [] };
    episodes.set(key, ep);
    started(ep);
  };
  const sink = (timeNs: number, vcpu: number, event: string, fields: Readonly<Record<string, number>>) => {
    // The lab's bookkeeping (apf_lab_*: which task faulted, its access done, a flagged sleep) is not
    // a step of the protocol; an access done, naming no page, was taken for an acknowledgement.
    if (event.startsWith(LAB_ONLY)) return;
    seq++;
    const has = (k: string) => Object.hasOwn(fields, k);
    if (has('gfn')) {
      if (event === 'kvm_try_async_get_page') begin(vcpu, fields.gfn, timeNs);
      record(open(vcpu, fields.gfn), timeNs, event, fields);
    } else if (has('token') && fields.token === WAKE_ALL) {
      if (event === 'kvm_async_pf_ready') lastReady.set(vcpu, null);
    } else if (has('gva')) {
      // No host fault was traced where the fault reached the guest without an exit: it starts here.
      if (event === 'kvm_async_pf_not_present') begin(vcpu, Math.floor(fields.gva / PAGE_SIZE), timeNs);
      const ep = open(vcpu, Math.floor(fields.gva / PAGE_SIZE));
      record(ep, timeNs, event, fields);
      if (!ep || !has('token')) return;
      if (ep.token === null) {
        ep.token = fields.token;
        byToken.set(`${vcpu}:${fields.token}`, ep);
      }
      if (event === 'kvm_async_pf_ready') {
        ep.readyNs = timeNs;
        byToken.delete(`${vcpu}:${fields.token}`);
        lastReady.set(vcpu, ep);
      }
    } else if (has('token')) {
      record(byToken.get(`${vcpu}:${fields.token}`), timeNs, event, fields);
    } else {
      record(lastReady.get(vcpu) ?? undefined, timeNs, event, fields);
      lastReady.set(vcpu, null);
    }
  };

  // The faults followed, kept up to date as episodes start (not sorted again from every episode
  // of the run at each step: that made a run in which a followed gfn never faults quadratic).
  // With gfns: the first episode of each; without: the first `count` episodes, in this order.
  const firstOrder = (a: Episode, b: Episode) => a.startNs - b.startNs || a.vcpu - b.vcpu || a.seq - b.seq;
  const wantedGfns = options.gfns ? new Set(options.gfns) : null;
  const firstOfGfn = new Map<number, Episode>();
  const firsts: Episode[] = [];
  function started(ep: Episode): void {
    if (wantedGfns) {
      const best = firstOfGfn.get(ep.gfn);
      if (wantedGfns.has(ep.gfn) && (!best || firstOrder(ep, best) < 0)) firstOfGfn.set(ep.gfn, ep);
      return;
    }
    if (count <= 0 || (firsts.length === count && firstOrder(ep, firsts[count - 1]) >= 0)) return;
    let i = firsts.length;
    while (i > 0 && firstOrder(ep, firsts[i - 1]) < 0) i--;
    firsts.splice(i, 0, ep);
    if (firsts.length > count) firsts.pop();
  }
  const followed = (): { gfn: number; ep: Episode | null }[] =>
    options.gfns ? options.gfns.map((gfn) => ({ gfn, ep: firstOfGfn.get(gfn) ?? null })) : firsts.map((ep) => ({ gfn: ep.gfn, ep }));
  // When every fault followed is ready: the last page-ready's time, recomputed only after a new
  // fault or page-ready was traced (an earlier-stamped fault may still come while the clock is behind it).
  const wanted = options.gfns?.length ?? count;
  let lastReadyNs: number | null = null;
  let stale = true;
  const traced = (timeNs: number, vcpu: number, event: string, fields: Readonly<Record<string, number>>) => {
    sink(timeNs, vcpu, event, fields);
    if (event === 'kvm_try_async_get_page' || event === 'kvm_async_pf_not_present' || event === 'kvm_async_pf_ready') stale = true;
  };
  let stoppedAtNs: number | null = null;
  const stopWhen = (nowNs: number) => {
    if (stale) {
      stale = false;
      const f = followed();
      const done = f.length === wanted && f.every((x) => x.ep !== null && x.ep.readyNs !== null);
      lastReadyNs = done ? Math.max(...f.map((x) => x.ep!.readyNs!)) : null;
    }
    if (lastReadyNs === null || nowNs <= lastReadyNs + FAULT_TRACE_TAIL_NS) return false;
    stoppedAtNs = nowNs;
    return true;
  };
  runVariant(scenario, variant, { seed: options.seed, trace: traced, onProgress: options.onProgress, signal: options.signal, sizeLimit: options.sizeLimit, stopWhen });
  return {
    variant: variant.id,
    faults: followed().map(({ gfn, ep }) => ({ gfn, fault: ep === null ? null : finish(ep) })),
    stoppedAtNs,
  };
}

function finish(ep: Episode): TracedFault {
  const events = [...ep.events].sort((a, b) => a.timeNs - b.timeNs || a.seq - b.seq);
  return {
    gfn: ep.gfn,
    vcpu: ep.vcpu,
    token: ep.token,
    startNs: ep.startNs,
    events: events.map((e) => ({ event: e.event, fields: e.fields, sinceStartNs: e.timeNs - ep.startNs })),
  };
}
