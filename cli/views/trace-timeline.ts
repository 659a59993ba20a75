import { PAGE_SIZE } from '../../core/scenario/limits.js';
import type { CapturedEvent, TraceCapture } from '../../core/trace-capture.js';
import { kernelHex } from '../../core/tracepoints.js';
import { emitter, QEMU_PID } from './trace.js';

/**
 * A capture as a Chrome/Perfetto JSON timeline (the Trace Event Format that ui.perfetto.dev and
 * chrome://tracing open): one track per thread that emitted an event (the vCPU threads and the
 * kworkers, named and numbered as the text trace names them), each tracepoint an instant event
 * with its fields as arguments, and each async page fault a slice on its own row, from its
 * kvm_try_async_get_page to the kvm_async_pf_ready that tells the guest (its `gva`, the page's
 * address, links the two). Times are microseconds, as the format wants.
 */
export interface ChromeTrace {
  readonly displayTimeUnit: 'ns';
  readonly traceEvents: readonly Record<string, unknown>[];
  readonly metadata: Readonly<Record<string, string>>;
}

const us = (ns: number) => ns / 1000;

export function chromeTrace(capture: TraceCapture, scenario: string, seed: number): ChromeTrace {
  const threads = new Map<number, string>();
  const events: Record<string, unknown>[] = [];
  const open = new Map<string, CapturedEvent>();
  for (const e of capture.events) {
    const who = emitter(e);
    threads.set(who.pid, who.comm);
    const args = Object.fromEntries(Object.entries(e.fields).map(([k, n]) => [k, kernelHex(n)]));
    events.push({ name: e.event, cat: 'kvm', ph: 'i', s: 't', ts: us(e.timeNs), pid: QEMU_PID, tid: who.pid, args });
    slice(e, open, events);
  }
  const meta = [
    { name: 'process_name', ph: 'M', pid: QEMU_PID, args: { name: `qemu (apf-lab ${capture.variant})` } },
    ...[...threads].sort((a, b) => a[0] - b[0]).map(([tid, name]) => ({ name: 'thread_name', ph: 'M', pid: QEMU_PID, tid, args: { name } })),
  ];
  return {
    displayTimeUnit: 'ns',
    traceEvents: [...meta, ...events],
    metadata: { variant: capture.variant, scenario, seed: String(seed), source: 'apf-lab trace (simulated; see README)' },
  };
}

/**
 * Opens a fault's slice at its first tracepoint, kvm_try_async_get_page or, where the guest asks
 * for the page itself (x86-ve, arm64-s2: no host fault to trace), kvm_async_pf_not_present; and
 * closes it at the page-ready for the same page on the same vCPU.
 */
function slice(e: CapturedEvent, open: Map<string, CapturedEvent>, out: Record<string, unknown>[]): void {
  const opens = e.event === 'kvm_try_async_get_page' || e.event === 'kvm_async_pf_not_present';
  const page = e.event === 'kvm_try_async_get_page' ? e.fields.gfn : opens || e.event === 'kvm_async_pf_ready' ? Math.floor(e.fields.gva / PAGE_SIZE) : null;
  if (page === null) return;
  const key = `${e.vcpu}:${page}`;
  const id = `${e.vcpu}:${kernelHex(page)}`;
  const common = { name: `async PF gfn ${kernelHex(page)}`, cat: 'apf', id, pid: QEMU_PID, tid: QEMU_PID + 1 + e.vcpu };
  if (opens) {
    if (open.has(key)) return;
    open.set(key, e);
    out.push({ ...common, ph: 'b', ts: us(e.timeNs) });
  } else if (open.delete(key)) {
    out.push({ ...common, ph: 'e', ts: us(e.timeNs) });
  }
}
