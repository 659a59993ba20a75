import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, findVariant, Harness, HARNESS_FIRST_MISSING_GFN as G, x86Variant, type Variant, type X86VcpuState } from '../../../index.js';

/**
 * kvm_check_async_pf_completion() → kvm_arch_async_page_ready(): before page-ready goes out, the
 * host runs its fault handling once more on the vCPU thread to map the page (x86 mmu.c
 * kvm_mmu_do_page_fault() with prefetch; arm64 v4 and RFCv2 kvm_handle_user_mem_abort() with
 * prefault), and skips it for a wake-all. A synchronous fault maps in the one exit it takes, so
 * this is work only APF does: priced as a fault's host work (Backend costs.stage2FaultNs).
 */
describe('the prefault at page-ready', () => {
  const cases: [string, Variant][] = [
    ['x86', x86Variant],
    ['x86-pf', findVariant('x86-pf')],
    ['x86-halt', findVariant('x86-halt')],
    ['arm64-sdei', arm64SdeiVariant],
    ['arm64-dabt', findVariant('arm64-dabt')],
  ];
  it.each(cases)('%s: the vCPU spends one fault\'s host work mapping the page it dequeues', (_id, variant) => {
    const h = new Harness(variant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    const v = h.vcpu();
    h.fault(G);
    h.enter();
    h.complete(G);
    const before = { cursor: v.cursor };
    h.sim.checkCompletion(v);
    expect(v.apf.done).toHaveLength(0);
    expect(v.cursor - before.cursor).toBe(h.backend.costs.stage2FaultNs);
    expect(h.backend.costs.stage2FaultNs).toBeGreaterThan(0);
  });

  it('x86: a wake-all maps nothing, so costs nothing there', () => {
    const h = new Harness<X86VcpuState>(x86Variant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    const v = h.vcpu();
    // Re-enabling queues a wake-all (facts/x86.md §1 "Current EN write path" step 8).
    h.call({ kind: 'wrmsr', index: 0x4b564d02, value: v.state.msrEnVal });
    expect(v.apf.done.map((w) => w.wakeupAll)).toEqual([true]);
    const before = v.cursor;
    h.sim.checkCompletion(v);
    expect(v.apf.done).toHaveLength(0);
    expect(v.cursor).toBe(before);
  });
});
