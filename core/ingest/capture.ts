import { BadInputError } from '../errors.js';
import { parseTracepointFields, tracepointFormat, upstreamTracepointName, UPSTREAM_TRACEPOINTS } from '../tracepoints.js';
import { parseCaptureLine } from './line.js';

/** One of Linux's async-PF tracepoints from a capture, under the lab's name for it. */
export interface ApfTraceEvent {
  readonly line: number;
  /** The thread that recorded it: a vCPU thread, or the kworker that ran the async work. */
  readonly pid: number;
  readonly task: string;
  readonly timeNs: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, bigint>>;
}

export interface ParsedCapture {
  readonly source: string;
  readonly lines: number;
  readonly events: readonly ApfTraceEvent[];
  /** The other events of the capture (kvm_exit, sched_switch, …), by name: read past, not used. */
  readonly otherEvents: readonly { readonly event: string; readonly count: number }[];
  /** Events that came before an earlier-stamped one (a merge of per-CPU buffers out of order): sorted back into place. */
  readonly reordered: number;
}

const APF_NAME = /\b(kvm_try_async_get_page|kvm_async_pf_[a-z_]+):/;

/**
 * The async-PF events of a capture in time order (ties keep file order). Bad input, naming the
 * file and line: an async-PF event whose text is not in its format, an async-PF event on a line
 * whose header cannot be read, a capture with none of them.
 */
export function parseCapture(source: string, text: string): ParsedCapture {
  const rows = text.split('\n');
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  if (rows.length === 0) throw new BadInputError(`${source}: empty file, not a trace`);
  const events: ApfTraceEvent[] = [];
  const other = new Map<string, number>();
  let reordered = 0;
  let last = -Infinity;
  rows.forEach((raw, i) => {
    const row = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const parsed = row.startsWith('#') ? null : parseCaptureLine(row, i + 1);
    if (parsed === null) {
      const named = row.startsWith('#') ? null : APF_NAME.exec(row);
      if (named !== null && upstreamTracepointName(named[1]) !== null) {
        throw new BadInputError(`${source}:${i + 1}: ${named[1]} on a line whose header is not 'TASK-PID [CPU] FLAGS SECS.USECS:' (facts/anchors.md §B)`);
      }
      return;
    }
    const name = upstreamTracepointName(parsed.event);
    if (name === null) {
      other.set(parsed.event, (other.get(parsed.event) ?? 0) + 1);
      return;
    }
    const fields = parseTracepointFields(name, parsed.text);
    if (fields === null) {
      throw new BadInputError(`${source}:${i + 1}: ${parsed.event}: expected '${tracepointFormat(name)}', got ${JSON.stringify(parsed.text.slice(0, 120))}`);
    }
    if (parsed.timeNs < last) reordered++;
    last = Math.max(last, parsed.timeNs);
    events.push({ line: parsed.line, pid: parsed.pid, task: parsed.task, timeNs: parsed.timeNs, event: name, fields });
  });
  if (events.length === 0) throw new BadInputError(`${source}: ${noEvents(rows.length, other)}`);
  // Array.prototype.sort is stable: events of one instant keep the order the file gives them.
  if (reordered > 0) events.sort((a, b) => a.timeNs - b.timeNs);
  const otherEvents = [...other].map(([event, count]) => ({ event, count })).sort((a, b) => b.count - a.count || (a.event < b.event ? -1 : 1));
  return { source, lines: rows.length, events, otherEvents, reordered };
}

function noEvents(lines: number, other: ReadonlyMap<string, number>): string {
  const events = [...other.values()].reduce((a, b) => a + b, 0);
  const seen = events === 0 ? 'no trace event lines at all' : `${events.toLocaleString('en-US')} other events (${[...other.keys()].slice(0, 3).join(', ')}${other.size > 3 ? ', …' : ''})`;
  return `none of Linux's async-PF tracepoints (${UPSTREAM_TRACEPOINTS.join(', ')}) in its ${lines.toLocaleString('en-US')} lines: ${seen}; enable the kvm events kvm_try_async_get_page and kvm_async_pf_* when recording`;
}
