import { BadInputError } from '../errors.js';
import { plural } from '../plural.js';
import { beginsUpstreamTracepointName, parseTracepointFields, tracepointFormat, upstreamTracepointName, UPSTREAM_TRACEPOINTS, type TraceValue } from '../tracepoints.js';
import { cutEventName, headerOutOfRange, MAX_LINE, parseCaptureLine, type CaptureLine } from './line.js';

/** One of Linux's async-PF tracepoints from a capture, under the lab's name for it. */
export interface ApfTraceEvent {
  readonly line: number;
  /** The thread that recorded it: a vCPU thread, or the kworker that ran the async work. */
  readonly pid: number;
  readonly task: string;
  /** ns after the capture's epoch (CaptureScan.epochSecs). */
  readonly timeNs: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, TraceValue>>;
}

/** What a scan of a capture saw, besides its async-PF events. */
export interface CaptureScan {
  readonly source: string;
  readonly lines: number;
  /** Each upstream event's count, under the lab's names, in the order a fault meets them. */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * The whole second of the earliest async-PF event, wherever the file has it. Stamps are kept in ns
   * after it: a host's stamps in ns from boot pass 2^53 after 104 days of uptime.
   */
  readonly epochSecs: number;
  /** The first and last async-PF event's stamps. */
  readonly fromNs: number;
  readonly toNs: number;
  /** The other events of the capture (kvm_exit, sched_switch, …), by name: read past, not used. */
  readonly otherEvents: readonly { readonly event: string; readonly count: number }[];
  /**
   * Lines that are neither events, comments, blanks nor ftrace's notes (a header cut short, a stray
   * line, `trace-cmd report`'s `cpus=4`): read past, but an event damaged there is missing.
   */
  readonly unreadable: { readonly lines: number; readonly firstLine: number | null };
  /** Events stamped before one that came earlier in the file (per-CPU buffers merged out of order). */
  readonly reordered: number;
  /**
   * The line of an async-PF event that ends the text with no newline, or null. ftrace ends every
   * line with one: a capture cut there may have cut the event's last value, which still reads as one.
   */
  readonly unterminated: number | null;
  /**
   * What the capture says was lost: `CPU:n [LOST N EVENTS]` lines (ftrace; `trace-cmd report`'s
   * `CPU:n [N EVENTS DROPPED]`) and their events; `uncounted`, those of them that give no number
   * (ftrace's `CPU:n [LOST EVENTS]`, trace-cmd's `CPU:n [EVENTS DROPPED]`), which `events` leaves
   * out; and `##### CPU n buffer started ####` lines (the ring buffer wrapped: that CPU's earlier
   * events are gone).
   */
  readonly lost: { readonly lines: number; readonly events: number; readonly uncounted: number; readonly bufferStarts: number };
}

export interface ParsedCapture extends CaptureScan {
  /** In time order; events of one instant in file order. */
  readonly events: readonly ApfTraceEvent[];
}

/**
 * A loss note: the kernel's print_trace_line() (kernel/trace/trace.c) writes `CPU:%d [LOST %lu
 * EVENTS]`, or `CPU:%d [LOST EVENTS]` when the ring buffer cannot tell how many; trace-cmd report
 * (tracecmd/trace-read.c trace_show_data()) writes `CPU:%d [%lld EVENTS DROPPED]` or `CPU:%d
 * [EVENTS DROPPED]`, after the file's name in a report of several files (line.ts SOURCE_NAME).
 * Taken for unreadable lines, the last three hid the loss (hostile round hE).
 */
const LOST_EVENTS = /^\s*(?:\S+: +)?CPU:\s*\d+ \[(?:LOST (\d+) EVENTS|LOST EVENTS|(\d+) EVENTS DROPPED|EVENTS DROPPED)\]/;
/**
 * What trace-cmd report prints before the events (tracecmd/trace-read.c, lib trace-input.c):
 * `cpus=N`, `version = N` and `CPU N is empty`. Notes, not damaged lines (hostile round hE: every
 * `trace-cmd report` capture was said to have an unreadable line where an event may be missing).
 */
const TRACE_CMD_NOTE = /^\s*(?:\S+: +)?(?:(cpus)=\d+|version = \S+|CPU \d+ is empty)\s*$/;
const BUFFER_STARTED = /^#{5} CPU \d+ buffer started #{4}/;
/**
 * A header whose stamp is a whole number (matched on the line without its leading blanks):
 * ftrace's trace_print_time() (kernel/trace/trace_output.c) prints `%12llu` for a clock not in ns
 * (trace.c trace_clocks[]: counter, uptime; x86-tsc).
 */
const TICKS_STAMP = /^.+?-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s+(?:[^\s:]{4,6}\s+)?(\d+):\s/;
const APF_NAME = /\b(kvm_try_async_get_page|kvm_async_pf_[a-z_]+):/;

/** Each upstream event's count, all 0, in the order a fault meets them. */
export function noEventCounts(): Record<string, number> {
  return Object.fromEntries(UPSTREAM_TRACEPOINTS.map((name) => [name, 0]));
}

/**
 * The async-PF events of a capture handed to `visit` in file order, line by line (a capture has
 * millions: no array of them is built). They are stamped after the first one's whole second; the
 * scan's epoch is the earliest one's, which is earlier only in a file out of time order (reordered
 * > 0, which parseCapture() restamps). Bad input, naming the file and line: an async-PF event
 * whose text is not in its format, an async-PF event on a line whose header cannot be read, a line
 * cut short in an event name an async-PF event's may begin with, a capture with none of them.
 */
export function scanCapture(source: string, text: string, visit: (e: ApfTraceEvent) => void): CaptureScan {
  const counts = noEventCounts();
  const other = new Map<string, number>();
  let reordered = 0;
  let epochSecs: number | null = null;
  let earliestSecs = Infinity;
  const unreadable = { lines: 0, firstLine: null as number | null };
  let fromNs = Infinity;
  let last = -Infinity;
  let found = 0;
  let lines = 0;
  let unterminated: number | null = null;
  const lost = { lines: 0, events: 0, uncounted: 0, bufferStarts: 0 };
  const starts = new CaptureStarts();
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const row = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    const n = ++lines;
    if (row.startsWith('#')) {
      if (BUFFER_STARTED.test(row)) lost.bufferStarts++;
      if (row.startsWith('# tracer:')) starts.header(n);
      continue;
    }
    const lostHere = LOST_EVENTS.exec(row);
    if (lostHere !== null) {
      lost.lines++;
      const told = lostHere[1] ?? lostHere[2];
      if (told === undefined) lost.uncounted++;
      else lost.events += Number(told);
      continue;
    }
    const note = TRACE_CMD_NOTE.exec(row);
    if (note !== null) {
      if (note[1] !== undefined) starts.header(n);
      continue;
    }
    const parsed = parseCaptureLine(row, n);
    if (parsed === null) {
      if (row.trim() === '') continue;
      const named = APF_NAME.exec(row);
      if (named !== null && upstreamTracepointName(named[1]) !== null && row.length > MAX_LINE) {
        throw new BadInputError(`${source}:${n}: ${named[1]} on a line of ${row.length} characters, longer than the kernel prints an event (8 KiB, TRACE_SEQ_SIZE)`);
      }
      if (named !== null && upstreamTracepointName(named[1]) !== null) {
        const big = headerOutOfRange(row);
        if (big !== null) throw new BadInputError(`${source}:${n}: ${named[1]}: the ${big} is out of range (above 2^53 − 1, no number a kernel prints there)`);
        // Matched without the leading blanks, as line.ts HEAD is: `^\s*` before a lazy name is quadratic.
        const ticks = TICKS_STAMP.exec(row.trimStart());
        if (ticks !== null) {
          throw new BadInputError(
            `${source}:${n}: ${named[1]}: its stamp ${ticks[1]} has no fraction, as a trace clock that counts ticks prints it (counter, uptime, x86-tsc): no duration can be read; record with a clock in ns (trace_clock local, global, mono or boot)`,
          );
        }
        throw new BadInputError(`${source}:${n}: ${named[1]} on a line whose header is not 'TASK-PID [CPU] FLAGS SECS.USECS:' (facts/anchors.md §B)`);
      }
      // An async-PF event cut here would be missing from the counts: refuse the line, as one cut
      // later, in its fields, is refused.
      const cut = cutEventName(row);
      if (cut !== null && beginsUpstreamTracepointName(cut)) {
        throw new BadInputError(`${source}:${n}: the line is cut short in its event name (${JSON.stringify(cut)}), which may be an async-PF event's`);
      }
      unreadable.lines++;
      unreadable.firstLine ??= n;
      continue;
    }
    starts.event(source, parsed);
    const name = upstreamTracepointName(parsed.event);
    if (name === null) {
      other.set(parsed.event, (other.get(parsed.event) ?? 0) + 1);
      continue;
    }
    const fields = parseTracepointFields(name, parsed.text);
    if (fields === null) {
      throw new BadInputError(`${source}:${n}: ${parsed.event}: expected '${tracepointFormat(name)}', got ${JSON.stringify(parsed.text.slice(0, 120))}`);
    }
    epochSecs ??= parsed.secs;
    earliestSecs = Math.min(earliestSecs, parsed.secs);
    const timeNs = (parsed.secs - epochSecs) * 1e9 + parsed.ns;
    if (timeNs < last) reordered++;
    last = Math.max(last, timeNs);
    fromNs = Math.min(fromNs, timeNs);
    counts[name]++;
    found++;
    if (start > text.length && !text.endsWith('\n')) unterminated = n;
    visit({ line: n, pid: parsed.pid, task: parsed.task, timeNs, event: name, fields });
  }
  if (lines === 0) throw new BadInputError(`${source}: empty file, not a trace`);
  if (found === 0) throw new BadInputError(`${source}: ${noEvents(lines, other)}`);
  const otherEvents = [...other].map(([event, count]) => ({ event, count })).sort((a, b) => b.count - a.count || (a.event < b.event ? -1 : 1));
  // The same events give the same window whatever their order in the file.
  const shift = (epochSecs! - earliestSecs) * 1e9;
  return { source, lines, counts, epochSecs: earliestSecs, fromNs: fromNs + shift, toNs: last + shift, otherEvents, unreadable, reordered, unterminated, lost };
}

/**
 * Two captures in one file (`cat monday.txt tuesday.txt`, a `trace` file saved twice over): a
 * capture's header (`# tracer:`, or trace-cmd report's `cpus=N`) after events, and then a CPU whose
 * stamps go back past that header. One CPU's ring buffer is read in its own time order, so its
 * stamps never go back within a capture; read as one, the two were sorted into each other and their
 * faults paired across them, with invariants "broken" that no host broke (hostile round hE). Per-CPU
 * files put one after another (per_cpu/cpuN/trace) each hold their own CPUs, and are read.
 */
class CaptureStarts {
  private headerLine = 0;
  private readonly lastByCpu = new Map<number, { readonly secs: number; readonly ns: number; readonly line: number }>();

  header(line: number): void {
    this.headerLine = line;
  }

  event(source: string, e: CaptureLine): void {
    const prev = this.lastByCpu.get(e.cpu);
    this.lastByCpu.set(e.cpu, { secs: e.secs, ns: e.ns, line: e.line });
    if (prev === undefined || prev.line > this.headerLine || e.secs > prev.secs || (e.secs === prev.secs && e.ns >= prev.ns)) return;
    const stamp = (x: { secs: number; ns: number }) => `${x.secs}.${String(x.ns).padStart(9, '0')}`;
    throw new BadInputError(
      `${source}:${e.line}: a second capture, begun at line ${this.headerLine}: CPU ${e.cpu}'s stamps go back from ${stamp(prev)} (line ${prev.line}) to ${stamp(e)}; ingest reads one capture a file`,
    );
  }
}

/** The async-PF events of a capture in time order (ties keep file order), with what the scan saw. */
export function parseCapture(source: string, text: string): ParsedCapture {
  const events: ApfTraceEvent[] = [];
  const scan = scanCapture(source, text, (e) => void events.push(e));
  if (scan.reordered === 0) return { ...scan, events };
  // Array.prototype.sort is stable: events of one instant keep the order the file gives them.
  events.sort((a, b) => a.timeNs - b.timeNs);
  // Stamped after the file's first event's second; the scan's epoch may be an earlier one's.
  const shift = scan.fromNs - events[0].timeNs;
  return { ...scan, events: shift === 0 ? events : events.map((e) => ({ ...e, timeNs: e.timeNs + shift })) };
}

function noEvents(lines: number, other: ReadonlyMap<string, number>): string {
  const events = [...other.values()].reduce((a, b) => a + b, 0);
  const seen = events === 0 ? 'no trace event lines at all' : `${plural(events, 'other event')} (${[...other.keys()].slice(0, 3).join(', ')}${other.size > 3 ? ', …' : ''})`;
  return `none of Linux's async-PF tracepoints (${UPSTREAM_TRACEPOINTS.join(', ')}) in its ${plural(lines, 'line')}: ${seen}; enable the kvm events kvm_try_async_get_page and kvm_async_pf_* when recording`;
}
