import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../../core/ingest/capture.js';
import { parseCaptureLine } from '../../../core/ingest/line.js';

/** Each header shape of facts/anchors.md §B "Line headers from real captures". */
describe('a capture line by its header', () => {
  it('the ftrace trace file: a task name with a space and a slash, 5-char flags, µs stamps', () => {
    const l = parseCaptureLine('       CPU 5/KVM-4145    [002] .....    86.581928: kvm_page_fault: vcpu 5 rip 0x7f08a4602116', 7);
    expect(l).toEqual({ line: 7, task: 'CPU 5/KVM', pid: 4145, cpu: 2, secs: 86, ns: 581_928_000, event: 'kvm_page_fault', text: 'vcpu 5 rip 0x7f08a4602116' });
  });

  it("ftrace's <...> for a lost task name, with a 6-char flags column", () => {
    const l = parseCaptureLine('  <...>-1946910 [226] ...1. 324797.313982: kvm_page_fault: vcpu 219 rip 0x0', 1);
    expect(l).toMatchObject({ task: '<...>', pid: 1946910, cpu: 226, secs: 324_797, ns: 313_982_000, event: 'kvm_page_fault' });
  });

  it('trace-cmd report: no flags column, the event name padded', () => {
    const l = parseCaptureLine('dirty_log_test-29003 [001] 184503.384329: kvm_exit:             reason EPT_VIOLATION rip 0x40359f info 582 0', 1);
    expect(l).toMatchObject({ task: 'dirty_log_test', pid: 29003, cpu: 1, secs: 184_503, ns: 384_329_000, event: 'kvm_exit', text: 'reason EPT_VIOLATION rip 0x40359f info 582 0' });
  });

  it('older 4-char flags, the record-tgid column, and a stamp in ns', () => {
    expect(parseCaptureLine('     kworker/6:0-99      [006] d..1    86.700000: kvm_async_pf_completed: gva 0x5000 address 0x7f0000005000', 1)).toMatchObject({ task: 'kworker/6:0', pid: 99, secs: 86, ns: 700_000_000 });
    expect(parseCaptureLine('  CPU 1/KVM-4141 (   4140) [006] .....  86.800000: kvm_async_pf_ready: token 0xffffffff gva 0', 1)).toMatchObject({ task: 'CPU 1/KVM', pid: 4141, cpu: 6 });
    expect(parseCaptureLine('  CPU 1/KVM-4141 [006] .....  86.800000123: kvm_async_pf_ready: token 0x1 gva 0', 1)).toMatchObject({ secs: 86, ns: 800_000_123 });
  });

  it("trace-cmd report of several files or of an instance: the file's name before the comm is not the task's", () => {
    // tracecmd/trace-read.c print_handle_file(): "%*s: " before the "%16s-%-5d [%03d]" of the event.
    const l = parseCaptureLine('host.dat:        CPU 0/KVM-4001  [000]     0.004005: kvm_async_pf_not_present: token 0x1000 gva 0x1000', 1);
    expect(l).toMatchObject({ task: 'CPU 0/KVM', pid: 4001, cpu: 0 });
    expect(parseCaptureLine('trace-guest.dat:      kworker/3:1-203   [003]     0.005012: kvm_exit: reason', 1)).toMatchObject({ task: 'kworker/3:1', pid: 203 });
    const c = parseCapture('x.trace', ['host.dat: cpus=1', 'host.dat: CPU:0 [12 EVENTS DROPPED]', 'host.dat:        CPU 0/KVM-4001  [000]     0.004005: kvm_async_pf_ready: token 0x1000 gva 0x1000', ''].join('\n'));
    expect([c.unreadable.lines, c.lost.events, c.events[0].task]).toEqual([0, 12, 'CPU 0/KVM']);
  });

  it('a value is keyed by what it is, not by how many zeros lead it; one wider than the 64 bits of a u64 is not in the format', () => {
    const c = parseCapture('x.trace', ['  CPU 0/KVM-1 [000] .....  1.000001: kvm_async_pf_ready: token 0x00000000000001000 gva 0x0000000000000000001'].join('\n'));
    expect(c.events[0].fields).toEqual({ token: 0x1000, gva: 1 });
    // The TP_STRUCT__entry fields are __u64 (include/trace/events/kvm.h): 17 hex digits cannot be one.
    expect(() => parseCapture('x.trace', '  CPU 0/KVM-1 [000] .....  1.000001: kvm_async_pf_ready: token 0x2000 gva 0x123456789abcdef01\n')).toThrow(/^x\.trace:1: kvm_async_pf_ready: expected 'token %#llx gva %#llx'/);
    expect(parseCapture('x.trace', '  CPU 0/KVM-1 [000] .....  1.000001: kvm_async_pf_ready: token 0x2000 gva 0xFFFFFFFFFFFFFFFF\n').events[0].fields.gva).toBe(2n ** 64n - 1n);
  });

  it('a line longer than the kernel formats an event into (TRACE_SEQ_SIZE, 8 KiB) is no event line; leading blanks stay allowed (hostile round I: a line of blanks took quadratic time)', () => {
    const event = 'CPU 0/KVM-1 [000] .....  1.000001: kvm_async_pf_ready: token 0x2000 gva 0x0';
    expect(parseCaptureLine(`${' '.repeat(8192 - event.length)}${event}`, 1)).toMatchObject({ task: 'CPU 0/KVM', event: 'kvm_async_pf_ready' });
    expect(parseCaptureLine(`${' '.repeat(8193 - event.length)}${event}`, 1)).toBeNull();
    const c = parseCapture('x.trace', `${' '.repeat(300_000)}x\n${event}\n`);
    expect(c.unreadable).toEqual({ lines: 1, firstLine: 1 });
    expect(c.events).toHaveLength(1);
    // An async-PF event padded past the limit is named for its length, not for its header (hostile round K).
    expect(() => parseCapture('x.trace', `${event}${' '.repeat(9000)}\n`)).toThrow(/^x\.trace:1: kvm_async_pf_ready on a line of 9075 characters, longer than the kernel prints an event \(8 KiB, TRACE_SEQ_SIZE\)$/);
  });

  it('a comment, a blank line or a lost-events note is not an event line', () => {
    for (const t of ['# tracer: nop', '', 'CPU:2 [LOST 120 EVENTS]', '##### CPU 3 buffer started ####']) expect(parseCaptureLine(t, 1)).toBeNull();
  });

  it('the fixture of every header shape: all twelve async-PF events read, under the names the lab uses', () => {
    const c = parseCapture('headers.trace', readFileSync('test/fixtures/ingest/headers.trace', 'utf8'));
    expect(c.events.map((e) => e.event)).toEqual([
      'kvm_try_async_get_page',
      'kvm_async_pf_not_present',
      'kvm_async_pf_completed',
      'kvm_async_pf_ready',
      'kvm_try_async_get_page',
      'kvm_async_pf_repeated_fault', // kvm_async_pf_doublefault, its name before 2023
      'kvm_try_async_get_page',
      'kvm_async_pf_not_present',
      'kvm_async_pf_completed',
      'kvm_async_pf_ready',
      'kvm_async_pf_completed',
      'kvm_async_pf_ready',
    ]);
    expect(c.otherEvents).toEqual([{ event: 'kvm_page_fault', count: 1 }]);
    // `%#llx` prints zero as 0; 0x0 is accepted too. A trailing pfn and the RFC's type are read past.
    expect(c.events[6].fields).toEqual({ gva: 0, gfn: 0 });
    expect(c.events[8].fields).toEqual({ gva: 0, address: 0x7f0000000000, pfn: 0x1234 });
    expect(c.events[10].fields).toEqual({ gva: 0x5000, address: 0x7f0000005000 });
  });
});
