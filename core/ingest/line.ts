/**
 * One line of a host's trace, by its header (facts/anchors.md §B "Line headers from real
 * captures"): `TASK-PID [CPU] FLAGS SECS.USECS: event: text`. Matched loosely, as §B asks:
 * - the task name may hold spaces and slashes (`CPU 5/KVM`), or be `<...>` when ftrace lost it;
 * - the flags column has 4 (older kernels), 5 or 6 characters, or is absent (`trace-cmd report`);
 * - `trace-cmd report` pads the event name after its colon;
 * - the fraction of the timestamp is µs in the `trace` file, ns with some clocks.
 *
 * The stamp is kept as whole seconds and ns: ftrace's default clock counts from boot, and a host up
 * more than 104 days is past 2^53 ns, which a double no longer holds exactly.
 */
export interface CaptureLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly task: string;
  readonly pid: number;
  /** The host CPU the event was recorded on. */
  readonly cpu: number;
  /** The stamp's whole seconds, and the ns of its fraction. */
  readonly secs: number;
  readonly ns: number;
  readonly event: string;
  readonly text: string;
}

/**
 * `TASK-PID [CPU] FLAGS SECS.USECS:`, the part of a line before its event name, matched on the line
 * without its leading blanks: a `^\s*` before the lazy task name took time quadratic in a run of
 * blanks (a line of 200,000 spaces: 20 s).
 */
const HEAD = String.raw`^(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:[^\s:]{4,6}\s+)?(\d+)\.(\d{1,9}):`;
const HEADER = new RegExp(String.raw`${HEAD}\s+([A-Za-z0-9_]+):(?:\s+(.*))?$`);
const CUT_NAME = new RegExp(String.raw`${HEAD}\s*([A-Za-z0-9_]*)$`);

/**
 * The longest line an event prints: the kernel formats each into a trace_seq of 8 KiB
 * (include/linux/trace_seq.h, TRACE_SEQ_SIZE). A longer line is no event line, whatever it holds.
 */
export const MAX_LINE = 8192;

/** The line's fields, or null when it is not an event line (a comment, a blank, a lost-events note). */
export function parseCaptureLine(text: string, line: number): CaptureLine | null {
  if (text.length > MAX_LINE) return null;
  const m = HEADER.exec(text.trimStart());
  if (m === null) return null;
  const [, task, pid, cpu, secs, frac, event, rest] = m;
  if (outOfRange(m) !== null) return null;
  return { line, task: withoutSourceName(task.trim()), pid: Number(pid), cpu: Number(cpu), secs: Number(secs), ns: Number(frac.padEnd(9, '0')), event, text: rest ?? '' };
}

/**
 * `trace-cmd report -i host.dat -i guest.dat` (host and guest traced together), or a report of a
 * buffer instance, writes each line after its file's or instance's name and `: `
 * (tracecmd/trace-read.c print_handle_file()), then the comm right-aligned in 16 columns: at most
 * 15 characters (TASK_COMM_LEN) after two blanks or more. Kept in the task name, it made every vCPU
 * thread `host.dat:        CPU 0/KVM`, no vCPU, and no token checked against one (hostile round hE).
 */
export const SOURCE_NAME = /^\S+: {2,}(?=\S.{0,14}$)/;

function withoutSourceName(task: string): string {
  return task.replace(SOURCE_NAME, '');
}

/**
 * The number of a line's header that a double cannot hold exactly (`pid 99999999999999999999`,
 * `stamp 99999999999999999999.123456`), or null: read anyway, it would come back rounded, and
 * two threads or two stamps would be taken for one.
 */
export function headerOutOfRange(text: string): string | null {
  if (text.length > MAX_LINE) return null;
  const m = HEADER.exec(text.trimStart());
  return m === null ? null : outOfRange(m);
}

function outOfRange(m: RegExpExecArray): string | null {
  const [, , pid, cpu, secs, frac] = m;
  if (!Number.isSafeInteger(Number(pid))) return `pid ${pid}`;
  if (!Number.isSafeInteger(Number(cpu))) return `CPU [${cpu}]`;
  if (!Number.isSafeInteger(Number(secs))) return `stamp ${secs}.${frac}`;
  return null;
}

/**
 * The start of the event name a line ends in, or null: ftrace writes `event:` after every header,
 * so a line that stops before that colon was cut short (a capture copied while it was written).
 */
export function cutEventName(text: string): string | null {
  if (text.length > MAX_LINE) return null;
  return CUT_NAME.exec(text.trimStart())?.[6] ?? null;
}
