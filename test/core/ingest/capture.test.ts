import { describe, expect, it } from 'vitest';
import { INGEST_FACTS } from '../../../arches/ingest-facts.js';
import { parseCapture } from '../../../core/ingest/capture.js';
import { ingestCaptureText } from '../../../core/ingest/ingest.js';

/** A `trace` file line of vCPU 0's thread, or of a kworker, stamped `secs.usecs`. */
const vcpu0 = (stamp: string, event: string, text: string) => `       CPU 0/KVM-100     [000] .....  ${stamp}: ${event}: ${text}`;
const worker = (stamp: string, gva: string) => `     kworker/0:1-200     [000] .....  ${stamp}: kvm_async_pf_completed: gva ${gva} address 0x7f0000000000`;

/** One fault across a whole second: try, not-present, completed, ready. */
const fault = [
  vcpu0('86.900000', 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
  vcpu0('86.900001', 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
  worker('87.000500', '0x1000'),
  vcpu0('87.000502', 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
];
const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

describe('a line cut short or not an event line', () => {
  it('refuses a line cut in its event name when an async-PF event could be it, naming the line, as one cut in its fields is', () => {
    for (const cut of ['kvm_async', 'kvm_async_pf_comple', 'kvm_try_', 'kvm_async_pf_doub', '']) {
      const lines = [...fault.slice(0, 2), `     kworker/0:1-200     [000] .....  87.000500: ${cut}`, fault[3]];
      expect(() => parseCapture('x.trace', text(lines)), cut).toThrow(`x.trace:3: the line is cut short in its event name (${JSON.stringify(cut)}), which may be an async-PF event's`);
    }
    expect(() => parseCapture('x.trace', text([...fault.slice(0, 2), `     kworker/0:1-200     [000] .....  87.000500: kvm_async_pf_completed: gva`]))).toThrow(/^x\.trace:3: kvm_async_pf_completed: expected /);
  });

  it('counts the other lines it cannot read and names the first: a header cut short, a name no async-PF event has, a stray line', () => {
    const lines = [
      'cpus=1', // trace-cmd report's first line: a note, not counted
      fault[0],
      '',
      '       CPU 0/KVM-100     [000] .....  86.9000', // cut in its stamp: which event it was is lost
      fault[1],
      '       CPU 1/KVM-101     [001] .....  86.950000: kvm_exi',
      'this is not a trace line at all',
      ...fault.slice(2),
    ];
    const c = parseCapture('x.trace', text(lines));
    expect(c.unreadable).toEqual({ lines: 3, firstLine: 4 });
    expect(c.events).toHaveLength(4);
    expect(parseCapture('x.trace', text(fault)).unreadable).toEqual({ lines: 0, firstLine: null });
  });

  it("reads trace-cmd report's notes before the events as notes, not unreadable lines", () => {
    // tracecmd/trace-read.c: `version = N` (--version), `cpus=N`; trace-input.c: `CPU N is empty`.
    const c = parseCapture('x.trace', text(['version = 6', 'CPU 3 is empty', 'cpus=4', ...fault]));
    expect(c.unreadable).toEqual({ lines: 0, firstLine: null });
    expect(c.events).toHaveLength(4);
  });
});

describe('the epoch of a capture out of time order', () => {
  it("is the earliest async-PF event's whole second, whatever the line order: the same window and stamps as the file in time order", () => {
    const inOrder = ingestCaptureText('x.trace', text(fault), INGEST_FACTS);
    const reversed = ingestCaptureText('x.trace', text([...fault].reverse()), INGEST_FACTS);
    expect(inOrder.window).toEqual({ epochSecs: 86, fromNs: 900_000_000, toNs: 1_000_502_000 });
    expect(reversed.window).toEqual(inOrder.window);
    expect({ ...reversed, reordered: 0 }).toEqual(inOrder);
    const stamps = (lines: readonly string[]) => parseCapture('x.trace', text(lines)).events.map((e) => [e.event, e.timeNs]);
    expect(stamps([...fault].reverse())).toEqual(stamps(fault));
  });
});

describe('a capture whose last line has no newline (stop 24 leftover)', () => {
  it('marks an event on it: ftrace ends every line, so the capture may be cut there, its last value with it', () => {
    // `gva 0x1000` may be what is left of `gva 0x10004a`: read as written, but said.
    expect(parseCapture('x.trace', fault.join('\n')).unterminated).toBe(4);
    expect(parseCapture('x.trace', text(fault)).unterminated).toBeNull();
    expect(parseCapture('x.trace', `${fault.join('\n')}\n# a comment`).unterminated).toBeNull();
  });
});

describe('a clock not in ns', () => {
  it('a stamp with no fraction (trace_clock counter, uptime, x86-tsc) is bad input that names the clock, not only the header', () => {
    const ticks = ['       CPU 0/KVM-100     [000] .....  1234567: kvm_async_pf_ready: token 0x1000 gva 0x1000'];
    expect(() => parseCapture('x.trace', text(ticks))).toThrow(
      'x.trace:1: kvm_async_pf_ready: its stamp 1234567 has no fraction, as a trace clock that counts ticks prints it (counter, uptime, x86-tsc): no duration can be read; record with a clock in ns (trace_clock local, global, mono or boot)',
    );
    const blanks = ` ${' '.repeat(8000)}x-1 [0] 12: kvm_async_pf_ready: t`;
    const t0 = performance.now();
    expect(() => parseCapture('x.trace', text([blanks]))).toThrow(/its stamp 12 has no fraction/);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('two captures in one file', () => {
  const header = ['# tracer: nop', '#'];
  it('a second header and then a CPU whose stamps go back past it is bad input naming both lines, not two runs sorted into one', () => {
    expect(() => parseCapture('x.trace', text([...header, ...fault, ...header, ...fault]))).toThrow(
      "x.trace:9: a second capture, begun at line 7: CPU 0's stamps go back from 87.000502000 (line 6) to 86.900000000; ingest reads one capture a file",
    );
    // trace-cmd report's first line starts one too.
    expect(() => parseCapture('x.trace', text(['cpus=1', ...fault, 'cpus=1', ...fault]))).toThrow(/^x\.trace:7: a second capture, begun at line 6:/);
  });

  it("per-CPU files one after another (per_cpu/cpuN/trace), each with its header, are one capture: each CPU's stamps go forward", () => {
    const cpu1 = fault.map((l) => l.replace('[000]', '[001]').replace('CPU 0/KVM-100', 'CPU 1/KVM-101').replace('0x1000', '0x2000'));
    const c = parseCapture('x.trace', text([...header, ...fault, ...header, ...cpu1]));
    expect(c.events).toHaveLength(8);
    expect(c.reordered).toBeGreaterThan(0);
  });
});
