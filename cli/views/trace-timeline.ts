import { PAGE_SIZE } from '../../core/scenario/limits.js';
import type { CapturedEvent, TraceCapture } from '../../core/trace-capture.js';
import { kernelHex } from '../../core/tracepoints.js';
import { BLOCK_EVENTS, emitter, QEMU_PID } from './trace.js';

/**
 * A capture as a Chrome/Perfetto JSON timeline (the Trace Event Format that ui.perfetto.dev and
 * chrome://tracing open): one track per thread that emitted an event (the vCPU threads and the
 * kworkers, named and numbered as the text trace names them), each tracepoint an instant event
 * with its fields as arguments, and each async page fault a slice on its own row, from its
 * kvm_try_async_get_page to the kvm_async_pf_ready that tells the guest (its `gva`, the page's
 * address, links the two). Times are microseconds, as the format wants.
 *
 * The JSON text is `{ displayTimeUnit, traceEvents, metadata }`, what JSON.stringify of that object
 * would give, written event by event rather than built as one object graph first (a 200 s run holds
 * about a million tracepoints), and handed out in pieces, in order, each made when it is taken, for
 * the file to be written from without the whole text ever being held (cli/write-files.ts
 * writeAll()). It ends with a newline.
 */
const us = (ns: number) => ns / 1000;

export function* chromeTraceJson(capture: TraceCapture, scenario: string, seed: number): Generator<string> {
  // The threads' names come first: a pass over the events finds the threads before any is written.
  const threads = new Map<number, string>();
  for (const e of capture.events) {
    const who = emitter(e);
    threads.set(who.pid, who.comm);
  }
  const meta = [
    { name: 'process_name', ph: 'M', pid: QEMU_PID, args: { name: `qemu (apf-lab ${capture.variant})` } },
    ...[...threads].sort((a, b) => a[0] - b[0]).map(([tid, name]) => ({ name: 'thread_name', ph: 'M', pid: QEMU_PID, tid, args: { name } })),
  ].map((m) => JSON.stringify(m));
  yield `{"displayTimeUnit":"ns","traceEvents":[${meta.join(',')}`;
  let block: string[] = [];
  const emit = (json: string) => block.push(json);
  const open = new Set<string>();
  for (const e of capture.events) {
    emit(`{"name":${JSON.stringify(e.event)},"cat":"kvm","ph":"i","s":"t","ts":${us(e.timeNs)},"pid":${QEMU_PID},"tid":${emitter(e).pid},"args":{${argsJson(e)}}}`);
    slice(e, open, emit);
    if (block.length < BLOCK_EVENTS) continue;
    yield `,${block.join(',')}`;
    block = [];
  }
  if (block.length > 0) yield `,${block.join(',')}`;
  const metadata = { variant: capture.variant, scenario, seed: String(seed), source: 'apf-lab trace (simulated; see README)' };
  yield `],"metadata":${JSON.stringify(metadata)}}\n`;
}

/** A tracepoint's fields as JSON members, each value in hex as the kernel prints it. */
function argsJson(e: CapturedEvent): string {
  let out = '';
  for (const k in e.fields) out += `${out === '' ? '' : ','}${JSON.stringify(k)}:"${kernelHex(e.fields[k])}"`;
  return out;
}

/**
 * Opens a fault's slice at its first tracepoint, kvm_try_async_get_page or, where the guest asks
 * for the page itself (x86-ve, arm64-s2: no host fault to trace), kvm_async_pf_not_present; and
 * closes it at the page-ready for the same page on the same vCPU.
 */
function slice(e: CapturedEvent, open: Set<string>, emit: (json: string) => void): void {
  const opens = e.event === 'kvm_try_async_get_page' || e.event === 'kvm_async_pf_not_present';
  const page = e.event === 'kvm_try_async_get_page' ? e.fields.gfn : opens || e.event === 'kvm_async_pf_ready' ? Math.floor(e.fields.gva / PAGE_SIZE) : null;
  if (page === null) return;
  const hex = kernelHex(page);
  const id = `${e.vcpu}:${hex}`;
  let ph: 'b' | 'e';
  if (opens) {
    if (open.has(id)) return;
    open.add(id);
    ph = 'b';
  } else if (open.delete(id)) ph = 'e';
  else return;
  emit(`{"name":"async PF gfn ${hex}","cat":"apf","id":"${id}","pid":${QEMU_PID},"tid":${QEMU_PID + 1 + e.vcpu},"ph":"${ph}","ts":${us(e.timeNs)}}`);
}
