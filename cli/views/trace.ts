import type { CapturedEvent, TraceCapture } from '../../core/trace-capture.js';
import { tracepointText } from '../../core/tracepoints.js';
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
  return { ...traceHeadView(capture, scenario, seed, vcpus, lab), blocks: [...lineBlocks(capture.events)] };
}

/**
 * The view with no lines: what the template prints before them. The lines come last in it
 * (templates/text/trace.text.hbs), each block followed by a newline, so that the text is this
 * head rendered, then each of lineBlocks() and its newline: `apf-lab trace` writes it so, a block
 * at a time, and never holds the whole text (a million lines are about 100 MB).
 */
export function traceHeadView(capture: TraceCapture, scenario: string, seed: number, vcpus: number, lab: boolean): TraceView {
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
    blocks: [],
  };
}

/** The trace lines joined by newlines in blocks of BLOCK_EVENTS, each made when it is taken. */
export function* lineBlocks(events: readonly CapturedEvent[]): Generator<string> {
  for (let at = 0; at < events.length; at += BLOCK_EVENTS) yield events.slice(at, at + BLOCK_EVENTS).map(traceLine).join('\n');
}

/**
 * Events to a piece of `trace`'s output (text lines, JSON elements, timeline instants). A block is
 * joined into one flat string when it is made (a string per line kept as a rope of its pieces: a
 * million lines took about 730 MiB), and is small: 25–45 KB, below the 128 KiB above which V8
 * allocates a large object (kMaxRegularHeapObjectSize, src/common/globals.h). Blocks of 4,096
 * (400–700 KB each) took a 1,000,000-event capture's `--json` to 493–510 MB peak RSS, blocks of 256
 * to 385 MB (200 s x86 --lab run, measured).
 */
export const BLOCK_EVENTS = 256;
