import type { CapturedEvent, TraceCapture } from '../../core/trace-capture.js';
import { tracepointText } from '../../core/tracepoints.js';
import { Blocks } from './blocks.js';
import { oneLine } from '../io.js';

/**
 * A capture as the host's ftrace `trace` file shows it (facts/anchors.md §B "Line headers from
 * real captures"): `TASK-PID [CPU] FLAGS SECS.USECS: event: text`, with the kernel's widths
 * (comm right-aligned in 16, pid left-aligned in 7, CPU in 3 digits, seconds in 5).
 *
 * The lab has no host processes, so the names and numbers are stated assumptions: QEMU's vCPU
 * threads are named `CPU n/KVM` as QEMU names them, each pinned to host CPU n; the async page fault
 * work (async_pf_execute(), which traces kvm_async_pf_completed) runs in a per-CPU kworker on
 * the CPU that queued it (schedule_work()); pids are made up. The flags column is `.....` (no
 * latency information is modelled).
 */
export const QEMU_PID = 4000;
const KWORKER_PID_BASE = 200;
const WORKER_EVENTS = new Set(['kvm_async_pf_completed']);

export interface TraceView {
  readonly variant: string;
  readonly scenario: string;
  readonly seed: number;
  readonly vcpus: number;
  readonly count: number;
  readonly window: string;
  readonly lab: boolean;
  readonly cut: boolean;
  /** The trace lines, joined by newlines in blocks (cli/views/blocks.ts; the template ends each block with one). */
  readonly blocks: readonly string[];
}

/** Who emitted an event: the vCPU thread, or the kworker that ran the async work. */
export function emitter(e: CapturedEvent): { comm: string; pid: number; cpu: number } {
  if (WORKER_EVENTS.has(e.event)) return { comm: `kworker/${e.vcpu}:1`, pid: KWORKER_PID_BASE + e.vcpu, cpu: e.vcpu };
  return { comm: `CPU ${e.vcpu}/KVM`, pid: QEMU_PID + 1 + e.vcpu, cpu: e.vcpu };
}

/** A stamp as ftrace prints it, `SECS.USECS`: `ns` after the whole second `epochSecs`. */
export function ftraceStamp(ns: number, epochSecs = 0): string {
  const secs = Math.floor(ns / 1e9);
  return `${epochSecs + secs}.${String(Math.floor((ns - secs * 1e9) / 1000)).padStart(6, '0')}`;
}

export function traceLine(e: CapturedEvent): string {
  const { comm, pid, cpu } = emitter(e);
  const text = tracepointText(e.event, e.fields);
  // The seconds in 5 columns, as the kernel's `%5lu.%06lu`.
  const head = `${comm.padStart(16)}-${String(pid).padEnd(7)} [${String(cpu).padStart(3, '0')}] ..... ${ftraceStamp(e.timeNs).padStart(12)}: ${e.event}:`;
  return text === '' ? head : `${head} ${text}`;
}

export function buildTraceView(capture: TraceCapture, scenario: string, seed: number, vcpus: number, lab: boolean): TraceView {
  const ms = (ns: number) => `${ns / 1e6} ms`;
  return {
    variant: capture.variant,
    // The one string here from a file: the view is not escaped as a whole (its blocks hold lines).
    scenario: oneLine(scenario),
    seed,
    vcpus,
    count: capture.events.length,
    window: `${ms(capture.fromNs)} to ${ms(capture.toNs)}`,
    lab,
    cut: capture.cutAtMaxEvents,
    blocks: inBlocks(capture.events),
  };
}

function inBlocks(events: readonly CapturedEvent[]): string[] {
  const lines = new Blocks('\n');
  for (const e of events) lines.push(traceLine(e));
  return lines.blocks();
}
