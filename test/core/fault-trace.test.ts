import { describe, expect, it } from 'vitest';
import { traceFaults } from '../../core/fault-trace.js';
import { arm64S2Variant, x86Variant, x86VeVariant } from '../../index.js';
import { findVariant } from '../../arches/registry.js';
import { smallScenario } from '../support/scenarios.js';

describe('traceFaults', () => {
  it('the first N faults of a run, in the order they started, each to its page-ready', () => {
    const t = traceFaults(smallScenario(), x86Variant, { count: 5 });
    expect(t.faults).toHaveLength(5);
    const starts = t.faults.map((f) => f.fault!.startNs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const f of t.faults) expect(f.fault!.events.at(-1)!.event).not.toBe('kvm_try_async_get_page');
    expect(t.stoppedAtNs).not.toBeNull();
    // Followed by gfn, the same faults come back.
    const again = traceFaults(smallScenario(), x86Variant, { gfns: t.faults.map((f) => f.gfn) });
    expect(again.faults.map((f) => f.fault)).toEqual(t.faults.map((f) => f.fault));
  });

  it.each([
    ['arm64-s2', arm64S2Variant],
    ['x86-ve', x86VeVariant],
  ])('%s: a fault that reaches the guest with no exit is followed from its not-present (it was never followed: no host fault is traced)', (_id, v) => {
    const t = traceFaults(smallScenario(), v, { count: 5 });
    expect(t.faults).toHaveLength(5);
    const firsts = t.faults.map((f) => f.fault!.events[0].event);
    expect(firsts).toContain('kvm_async_pf_not_present');
    for (const f of t.faults) expect(f.fault!.events.map((e) => e.event)).toContain('kvm_async_pf_ready');
    // Followed again by gfn (as diff does for the second variant), the same faults come back.
    expect(traceFaults(smallScenario(), v, { gfns: t.faults.map((f) => f.gfn) }).faults).toEqual(t.faults);
  });

  // A design with no acknowledgement (the 2010 x86 guest, facts/x86.md §2 "2010 ready path"; RFCv2's
  // data abort, PROTOCOLS.md §4.6): nothing after a page-ready names its fault, and the lab's own
  // apf_lab_access_done of the woken task was shown as a step of the fault before it.
  it.each(['x86-pf', 'arm64-dabt', 'arm64-sdei', 'arm64-irq'])('%s: only the protocol\'s steps, none of the lab\'s own apf_lab_* events', (id) => {
    const t = traceFaults(smallScenario(), findVariant(id), { count: 5 });
    const names = t.faults.flatMap((f) => f.fault!.events.map((e) => e.event));
    expect(names).toContain('kvm_async_pf_ready');
    expect(names.filter((n) => n.startsWith('apf_lab_'))).toEqual([]);
  });

  it('a gfn that never faults makes the run go to its end, in time linear in its faults (it was quadratic: minutes)', () => {
    // A 6 s run of the small scenario (thousands of faults); a gfn past the guest's memory is never faulted on.
    const s = smallScenario({ durationMs: 6000 });
    const t0 = performance.now();
    const t = traceFaults(s, x86Variant, { gfns: [0x7fff_fff0] });
    const seconds = (performance.now() - t0) / 1000;
    expect(t.faults).toEqual([{ gfn: 0x7fff_fff0, fault: null }]);
    expect(t.stoppedAtNs).toBeNull();
    // The run alone takes about a second here; the quadratic search took 45 s (and minutes on longer runs).
    expect(seconds).toBeLessThan(20);
  }, 60_000);
});
