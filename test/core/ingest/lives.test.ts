import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/errors.js';
import { parseCapture } from '../../../core/ingest/capture.js';
import { ingestCaptureText } from '../../../core/ingest/ingest.js';
import { fitLognormal } from '../../../core/ingest/summary.js';
import { checkScenarioBounds } from '../../../core/scenario/bounds.js';
import { loadScenario, scenarioSchema } from '../../../index.js';
import { INGEST_FACTS } from '../../../arches/ingest-facts.js';

/** A `trace` file line at `us` µs: a vCPU thread `CPU n/KVM`, or a kworker. */
function line(task: string, pid: number, us: number, event: string, text: string): string {
  const secs = Math.floor(us / 1e6);
  const frac = String(us % 1e6).padStart(6, '0');
  return `${task.padStart(16)}-${String(pid).padEnd(7)} [000] ..... ${String(secs).padStart(5)}.${frac}: ${event}: ${text}`;
}
const vcpu0 = (us: number, event: string, text: string) => line('CPU 0/KVM', 100, us, event, text);
const worker = (us: number, gva: string) => line('kworker/0:1', 200, us, 'kvm_async_pf_completed', `gva ${gva} address 0x7f0000000000`);
const ingest = (lines: string[]) => ingestCaptureText('t.trace', `${lines.join('\n')}\n`, INGEST_FACTS);

/**
 * How KVM traces an async page fault (Linux 6.12): the vCPU thread's try, then a repeated fault or
 * a not-present (nothing: a synchronous fault), the kworker's completed by gva, the vCPU's ready by
 * token (arch/x86/kvm/mmu/mmu.c __kvm_faultin_pfn(), x86.c kvm_arch_async_page_not_present() and
 * _present(), virt/kvm/async_pf.c async_pf_execute()).
 */
describe('async page faults rebuilt from a capture', () => {
  const capture = [
    vcpu0(1000, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
    vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'), // A
    vcpu0(1100, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
    vcpu0(1101, 'kvm_async_pf_repeated_fault', 'gva = 0x1000, gfn = 0x1'), // A touched again: halt
    vcpu0(1200, 'kvm_try_async_get_page', 'gva = 0x2000, gfn = 0x2'), // nothing after it: synchronous
    vcpu0(1300, 'kvm_try_async_get_page', 'gva = 0x3000, gfn = 0x3'),
    vcpu0(1301, 'kvm_async_pf_not_present', 'token 0x2000 gva 0x3000'), // B
    worker(1500, '0x1000'),
    vcpu0(1502, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
    vcpu0(1600, 'kvm_async_pf_ready', 'token 0x2000 gva 0x3000'), // B's ready before its completed
    worker(1605, '0x3000'),
    vcpu0(1700, 'kvm_async_pf_ready', 'token 0xffffffff gva 0'), // wake-all
    vcpu0(1800, 'kvm_async_pf_ready', 'token 0x5000 gva 0x5000'), // its not-present came before the capture
    worker(1950, '0x9000'), // so did this one's
  ];

  it('pairs each step of a fault, counts each way a try ends, and leaves out what began before the capture', () => {
    const r = ingest(capture);
    expect(r.threads).toEqual([{ pid: 100, task: 'CPU 0/KVM', vcpu: 0, tries: 4, notPresent: 2, repeatedFaults: 1, syncAfterTry: 1, undecidedAtEnd: 0, ready: 2, wakeAll: 1, coveredByWakeAll: 0, maxOutstanding: 2, inFlightAtEnd: 0 }]);
    expect(r.workers).toEqual([{ pid: 200, task: 'kworker/0:1', completed: 3 }]);
    expect(r.faults).toEqual({
      asyncPageFaults: 2,
      completed: 2,
      ready: 2,
      inFlightAtEnd: 0,
      coveredByWakeAll: 0,
      syncAfterTry: 1,
      undecidedAtEnd: 0,
      repeatedFaults: 1,
      wakeAll: 1,
      begunBefore: { ready: 1, completed: 1, repeatedFaults: 0 },
      readyBeforeCompleted: 1,
    });
    expect(r.findings).toEqual([]);
  });

  it('measures each step in ns: A 499 µs to complete, 2 µs on the done list; B ready 5 µs before its completed, left out of that step', () => {
    const r = ingest(capture);
    expect(r.durations.fetch).toMatchObject({ count: 2, minNs: 304_000, maxNs: 499_000, meanNs: 401_500 });
    expect(r.durations.doneToReady).toMatchObject({ count: 1, minNs: 2000, maxNs: 2000 });
    expect(r.durations.whole).toMatchObject({ count: 2, minNs: 299_000, maxNs: 501_000 });
    expect(r.window).toEqual({ epochSecs: 0, fromNs: 1_000_000, toNs: 1_950_000 });
  });

  it('a second ready for one token breaks invariant 1; 65 outstanding, invariant 5; a second token for an outstanding gfn, invariant 6', () => {
    const twice = ingest([...capture, vcpu0(1900, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000')]);
    expect(twice.findings).toEqual([{ invariant: 1, what: 'a second page-ready for one token', count: 1, firstLine: 15 }]);
    const many = ingest(Array.from({ length: 66 }, (_, i) => vcpu0(1000 + i, 'kvm_async_pf_not_present', `token 0x${((i + 1) << 12).toString(16)} gva 0x${(i << 12).toString(16)}`)));
    expect(many.findings).toEqual([{ invariant: 5, what: expect.stringContaining('ASYNC_PF_PER_VCPU (64)'), count: 2, firstLine: 65 }]);
    expect(many.threads[0]).toMatchObject({ maxOutstanding: 66, inFlightAtEnd: 66 });
    const sameGfn = ingest([
      vcpu0(1000, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x7'),
      vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      vcpu0(1100, 'kvm_try_async_get_page', 'gva = 0x1008, gfn = 0x7'),
      vcpu0(1101, 'kvm_async_pf_not_present', 'token 0x2000 gva 0x1008'),
    ]);
    expect(sameGfn.findings.map((f) => [f.invariant, f.firstLine])).toEqual([[6, 4]]);
  });

  it('a wake-all covers what was outstanding on its vCPU: KVM dropped that work and forgot its gfns, so a new fault on one is no second token', () => {
    // The guest turned async PF off (MSR write, or a vCPU reset): kvm_pv_enable_async_pf() and
    // kvm_vcpu_reset() (arch/x86/kvm/x86.c) call kvm_clear_async_pf_completion_queue()
    // (virt/kvm/async_pf.c), which cancels the queued work untraced, and kvm_async_pf_hash_reset().
    // Turned on again, kvm_async_pf_wakeup_all() queues the wake-all traced as token ~0. DESIGN.md
    // invariant 1: a token gets one ready "or is covered by a wake-all".
    const r = ingest([
      vcpu0(1000, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
      vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'), // dropped by the reset
      vcpu0(2000, 'kvm_async_pf_ready', 'token 0xffffffff gva 0'),
      vcpu0(3000, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
      vcpu0(3001, 'kvm_async_pf_not_present', 'token 0x2000 gva 0x1000'),
      worker(3500, '0x1000'),
      vcpu0(3502, 'kvm_async_pf_ready', 'token 0x2000 gva 0x1000'),
    ]);
    expect(r.findings).toEqual([]);
    expect(r.threads[0]).toMatchObject({ notPresent: 2, ready: 1, wakeAll: 1, coveredByWakeAll: 1, inFlightAtEnd: 0, maxOutstanding: 1 });
    expect(r.faults).toMatchObject({ asyncPageFaults: 2, completed: 1, ready: 1, coveredByWakeAll: 1, inFlightAtEnd: 0 });
    // The completion is the new fault's (499 µs), not the dropped one's (2.5 s).
    expect(r.durations.fetch).toMatchObject({ count: 1, minNs: 499_000 });
    // Work a wake-all did not drop (the guest turned async PF on while it was outstanding) still ends with its ready.
    const kept = ingest([vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'), vcpu0(2000, 'kvm_async_pf_ready', 'token 0xffffffff gva 0'), worker(2500, '0x1000'), vcpu0(2502, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000')]);
    expect(kept.findings).toEqual([]);
    expect(kept.faults).toMatchObject({ asyncPageFaults: 1, completed: 1, ready: 1, coveredByWakeAll: 0, inFlightAtEnd: 0 });
  });

  it('two VMs faulting on one gpa: a completion goes to the fault whose ready shows its work done, not to the older fault', () => {
    // kvm_async_pf_completed names no VM, only the gva (cr2_or_gpa): two QEMUs fault the same gpas.
    // The vCPU traces kvm_async_pf_ready only once the work is on its done list (virt/kvm/async_pf.c
    // kvm_check_async_pf_completion()), which async_pf_execute() fills just before tracing completed.
    const vm2 = (us: number, event: string, text: string) => line('CPU 0/KVM', 300, us, event, text);
    const r = ingest([
      vcpu0(1000, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      vm2(1010, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      line('kworker/1:1', 201, 1019, 'kvm_async_pf_completed', 'gva 0x1000 address 0x7f5500001000'), // VM 2's
      vm2(1020, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
      worker(1999, '0x1000'), // VM 1's
      vcpu0(2001, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
    ]);
    expect(r.durations.fetch).toMatchObject({ count: 2, minNs: 9000, maxNs: 999_000 });
    expect(r.durations.doneToReady).toMatchObject({ count: 2, minNs: 1000, maxNs: 2000 });
    expect(r.faults).toMatchObject({ completed: 2, ready: 2, readyBeforeCompleted: 0 });
  });

  it('fits a latency a scenario takes even from fetches under 0.1 µs (a capture stamped in ns): no median of 0, no maxUs below minUs', () => {
    const fit = fitLognormal([40, 40, 60])!;
    expect(fit).toMatchObject({ us: 0.1, minUs: 0.1, maxUs: 0.1 });
    const base = loadScenario();
    const { dist, us, sigma, minUs, maxUs } = fit;
    const scenario = scenarioSchema.parse({ ...base, backing: { ...base.backing, latency: { dist, us, sigma, minUs, maxUs } } });
    expect(() => checkScenarioBounds(scenario, 's.yaml')).not.toThrow();
  });

  it('the counts add up when a token is set up twice: the fault it hid is still counted, in flight when the capture ends', () => {
    const r = ingest([
      vcpu0(1000, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      vcpu0(1100, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x2000'),
      vcpu0(1200, 'kvm_async_pf_ready', 'token 0x1000 gva 0x2000'),
    ]);
    expect(r.findings.map((f) => [f.invariant, f.firstLine])).toEqual([[1, 2]]);
    expect(r.faults).toMatchObject({ asyncPageFaults: 2, ready: 1, inFlightAtEnd: 1, coveredByWakeAll: 0 });
    expect(r.threads[0]).toMatchObject({ notPresent: 2, ready: 1, inFlightAtEnd: 1, maxOutstanding: 2 });
  });

  it("tells the token layouts apart by the vCPU id in the token's low bits", () => {
    const tokens = (a: string, b: string) =>
      ingest([line('CPU 3/KVM', 7, 10, 'kvm_async_pf_not_present', `token ${a} gva 0x1000`), line('CPU 3/KVM', 7, 20, 'kvm_async_pf_not_present', `token ${b} gva 0x2000`)]).tokenLayouts.map((t) => [t.matching, t.notMatching]);
    // (id << 12) | 3 for ids 1 and 2: the vCPU is in the low 12 bits, not in the low 16.
    expect(tokens('0x1003', '0x2003')).toEqual([[2, 0], [0, 2]]);
    // (id << 16) | 3: the RFCs' layout; its low 12 bits hold the vCPU as well.
    expect(tokens('0x10003', '0x20003')).toEqual([[2, 0], [2, 0]]);
  });

  it('a try the capture ends after is undecided, so that every try is accounted for', () => {
    const r = ingest([...capture, vcpu0(2000, 'kvm_try_async_get_page', 'gva = 0x6000, gfn = 0x6')]);
    const t = r.threads[0];
    expect(t).toMatchObject({ tries: 5, syncAfterTry: 1, undecidedAtEnd: 1 });
    // Two tries went async, one was a repeated fault: 2 + 1 + 1 + 1 = 5.
    expect(2 + t.repeatedFaults + t.syncAfterTry + t.undecidedAtEnd).toBe(t.tries);
    expect(r.faults.undecidedAtEnd).toBe(1);
  });

  it('rebuilds the same faults from a file whose lines are out of time order (read again, sorted)', () => {
    const shuffled = [...capture];
    [shuffled[7], shuffled[9]] = [shuffled[9], shuffled[7]]; // B's ready (1600 µs) written before A's completion and ready
    const a = ingest(capture);
    const b = ingest(shuffled);
    expect(b.reordered).toBe(2); // the two lines after it are both stamped before it
    expect({ ...b, reordered: 0 }).toEqual(a);
  });

  it('reads a host up for more than 104 days: its stamps pass 2^53 ns, and each step is still measured to the ns', () => {
    // ftrace's default clock counts from boot: a host up 200 days stamps 17,280,000 s, past what a
    // double holds exactly in ns (2^53 ns is 104.2 days).
    const at = (stamp: string, event: string, text: string) => `       CPU 0/KVM-100     [000] .....  ${stamp}: ${event}: ${text}`;
    const r = ingestCaptureText(
      'up.trace',
      [
        at('17280000.000000001', 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
        `     kworker/0:1-200     [000] .....  17280000.000499003: kvm_async_pf_completed: gva 0x1000 address 0x7f0000001000`,
        at('17280000.000501007', 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
      ].join('\n'),
      INGEST_FACTS,
    );
    expect(r.durations.fetch).toMatchObject({ count: 1, minNs: 499_002 });
    expect(r.durations.doneToReady).toMatchObject({ count: 1, minNs: 2004 });
    expect(r.window).toEqual({ epochSecs: 17_280_000, fromNs: 1, toNs: 501_007 });
  });

  it('a repeated fault on a fault covered by a wake-all but not dropped (started while async PF was off) is that fault\'s, not one begun before the capture', () => {
    const r = ingest([
      vcpu0(1000, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
      vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      vcpu0(1100, 'kvm_async_pf_ready', 'token 0xffffffff gva 0'),
      vcpu0(1200, 'kvm_try_async_get_page', 'gva = 0x1000, gfn = 0x1'),
      vcpu0(1201, 'kvm_async_pf_repeated_fault', 'gva = 0x1000, gfn = 0x1'),
    ]);
    expect(r.faults.begunBefore.repeatedFaults).toBe(0);
    expect(r.faults).toMatchObject({ repeatedFaults: 1, coveredByWakeAll: 1 });
    expect(r.findings).toEqual([]);
  });

  it("a thread first seen as <...> takes its CPU n/KVM name when a later line gives it", () => {
    const r = ingest([line('<...>', 100, 10, 'kvm_async_pf_not_present', 'token 0x1002 gva 0x1000'), line('CPU 2/KVM', 100, 20, 'kvm_async_pf_ready', 'token 0x1002 gva 0x1000')]);
    expect(r.threads).toMatchObject([{ pid: 100, task: 'CPU 2/KVM', vcpu: 2, notPresent: 1, ready: 1 }]);
    expect(r.tokenLayouts[0]).toMatchObject({ matching: 1, notMatching: 0 });
  });

  it('never pairs a ready with a completion stamped before its own not-present: no negative duration', () => {
    // vCPU 0's fault is completed before vCPU 1 faults on the same gva; vCPU 1's ready comes 3 µs
    // before its own completion (the kworker traces after queuing the work: async_pf_execute()).
    const vcpu1 = (us: number, event: string, text: string) => line('CPU 1/KVM', 101, us, event, text);
    const r = ingest([
      vcpu0(1001, 'kvm_async_pf_not_present', 'token 0x1000 gva 0x1000'),
      worker(1500, '0x1000'),
      vcpu1(1600, 'kvm_async_pf_not_present', 'token 0x1001 gva 0x1000'),
      vcpu1(2000, 'kvm_async_pf_ready', 'token 0x1001 gva 0x1000'),
      worker(2003, '0x1000'),
      vcpu0(2100, 'kvm_async_pf_ready', 'token 0x1000 gva 0x1000'),
    ]);
    expect(r.durations.fetch).toMatchObject({ count: 2, minNs: 403_000, maxNs: 499_000 });
    expect(r.faults.readyBeforeCompleted).toBe(1);
    expect(r.latencyFit).not.toBeNull();
  });

  it("counts and shows ftrace's lost events and wrapped CPU buffers", () => {
    const r = ingest(['##### CPU 3 buffer started ####', ...capture.slice(0, 4), 'CPU:0 [LOST 120 EVENTS]', ...capture.slice(4)]);
    expect(r.lost).toEqual({ lines: 1, events: 120, uncounted: 0, bufferStarts: 1 });
    expect(ingest(capture).lost).toEqual({ lines: 0, events: 0, uncounted: 0, bufferStarts: 0 });
  });

  it("counts ftrace's loss note without a number and trace-cmd report's EVENTS DROPPED as losses, not unreadable lines", () => {
    // kernel/trace/trace.c print_trace_line(); tracecmd/trace-read.c trace_show_data().
    const r = ingest([...capture.slice(0, 2), 'CPU:2 [LOST EVENTS]', 'CPU:1 [1234 EVENTS DROPPED]', ...capture.slice(2, 4), 'CPU:0 [EVENTS DROPPED]', ...capture.slice(4)]);
    expect(r.lost).toEqual({ lines: 3, events: 1234, uncounted: 2, bufferStarts: 0 });
    expect(r.unreadable).toEqual({ lines: 0, firstLine: null });
  });

  it('pairs a fault whose gva is a 64-bit kernel address (send-always: a fault in guest kernel mode without TDP)', () => {
    const gva = '0xffff888012345000';
    const r = ingest([vcpu0(10, 'kvm_async_pf_not_present', `token 0x1000 gva ${gva}`), worker(20, gva), vcpu0(21, 'kvm_async_pf_ready', `token 0x1000 gva ${gva}`)]);
    expect(r.faults).toMatchObject({ asyncPageFaults: 1, completed: 1, ready: 1 });
    expect(r.durations.fetch).toMatchObject({ count: 1, minNs: 10_000 });
  });

  it('refuses a capture it cannot read, naming the file and line', () => {
    expect(() => parseCapture('x.trace', '')).toThrow(new BadInputError('x.trace: empty file, not a trace'));
    expect(() => parseCapture('x.trace', `${vcpu0(1, 'kvm_async_pf_ready', 'token 12 gva 0x1')}\n`)).toThrow(/^x\.trace:1: kvm_async_pf_ready: expected 'token %#llx gva %#llx', got "token 12 gva 0x1"$/);
    expect(() => parseCapture('x.trace', 'garbage kvm_async_pf_ready: token 0x1 gva 0x1\n')).toThrow(/^x\.trace:1: kvm_async_pf_ready on a line whose header is not/);
    expect(() => parseCapture('x.trace', `${line('qemu', 1, 5, 'kvm_exit', 'reason EPT_VIOLATION')}\n`)).toThrow(/in its 1 line: 1 other event \(kvm_exit\); enable the kvm events/);
  });

  it('reads a file whose per-CPU buffers were merged out of order in time order, keeping file order at one instant', () => {
    const c = parseCapture('x.trace', [vcpu0(20, 'kvm_async_pf_ready', 'token 0x1 gva 0'), vcpu0(10, 'kvm_try_async_get_page', 'gva = 0, gfn = 0'), vcpu0(20, 'kvm_async_pf_ready', 'token 0x2 gva 0')].join('\n'));
    expect(c.reordered).toBe(1);
    expect(c.events.map((e) => e.line)).toEqual([2, 1, 3]);
  });
});
