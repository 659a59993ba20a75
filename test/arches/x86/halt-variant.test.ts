import { describe, expect, it } from 'vitest';
import {
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  loadScenario,
  runVariant,
  VARIANTS,
  x86HaltVariant,
  type RunResult,
  type X86VcpuState,
} from '../../../index.js';

/**
 * `x86-halt`, Gleb Natapov's "nonpv" (PROTOCOLS.md §4.3): today's x86 host with a guest that
 * never enables PV async PF. kvm_can_deliver_async_pf() needs PV APF enabled, so every
 * host-missing fault with IF=1 takes the synthetic halt; with IF=0 kvm_can_do_async_pf() says no
 * and the fault is synchronous (facts/x86.md §2 "Synthetic halt", arch/x86/kvm/x86.c).
 */
const G = HARNESS_FIRST_MISSING_GFN;

function harness(): Harness<X86VcpuState> {
  return new Harness<X86VcpuState>(x86HaltVariant);
}

describe('x86-halt: a non-PV guest (PROTOCOLS.md §4.3)', () => {
  it('boots without writing any async-PF MSR: no exit at all, EN stays 0', () => {
    // A non-PV guest has no kvm_guest_cpu_init() (arch/x86/kernel/kvm.c): MSR_KVM_ASYNC_PF_EN/INT are never written.
    const h = harness();
    expect(h.exits()).toEqual({});
    expect(h.vcpu().state.msrEnVal).toBe(0n);
    expect(h.vcpu().state.msrIntVal).toBe(0n);
  });

  it('a user-mode fault with IF=1 starts the async work and halts: nothing is injected', () => {
    // kvm_arch_async_page_not_present(): not deliverable (PV APF off) → KVM_REQ_APF_HALT (facts/x86.md §2).
    const h = harness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);
    const v = h.vcpu();
    expect(v.mode).toBe('halt');
    expect(v.injected).toBeNull();
    expect(v.queued).toBe(1);
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({ 'apf-disabled': 1 });
    expect(h.sim.metrics.notPresentDelivered).toBe(0);
  });

  it('the halt ends when the page is in, with no page-ready delivered', () => {
    // kvm_check_async_pf_completion(): page-ready only where not-present was injected (facts/x86.md §6);
    // kvm_arch_async_page_present() clears apf.halted either way (§2 "Synthetic halt").
    const h = harness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);
    h.complete(G);
    h.enter();
    expect(h.vcpu().mode).toBe('run');
    expect(h.vcpu().queued).toBe(0);
    expect(h.sim.metrics.readyDelivered).toBe(0);
  });

  it('a fault with IF=0 is synchronous', () => {
    // kvm_can_do_async_pf() returns kvm_arch_interrupt_allowed() (facts/x86.md §2).
    const h = harness();
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    h.fault(G);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'irqs-masked': 1 });
  });

  it('is registered, on x86, with findings that cite the synthetic halt and the nonpv row', () => {
    expect(findVariant('x86-halt')).toBe(x86HaltVariant);
    expect(VARIANTS).toContain(x86HaltVariant);
    const b = x86HaltVariant.createBackend({ costOverrides: x86HaltVariant.defaultCosts, knobs: x86HaltVariant.knobs, guestMemoryBytes: 64 << 20 });
    const cites = b.findings.map((f) => f.cite).join('\n');
    expect(cites).toMatch(/facts\/x86\.md §2 "Synthetic halt"/);
    expect(cites).toMatch(/facts\/x86\.md §7/);
  });
});

describe('scenarios/ipi-mix.yaml: halting beats blocking, PV beats halting', () => {
  // Gleb Natapov's v6/v7 table orders them master < nonpv < pv (facts/x86.md §7). On ipi-mix the
  // gap between the first two comes from the cross-calls a halted vCPU answers at once and a
  // synchronously blocked one only once its page is in (PROTOCOLS.md §3 "IPIs").
  const scenario = loadScenario('ipi-mix');
  const runs = new Map<string, RunResult>(['sync-x86', 'x86-halt', 'x86', 'sync-arm64', 'arm64-sdei'].map((id) => [id, runVariant(scenario, findVariant(id))]));

  it.each([...runs.keys()])('%s is invariant-clean and closes', (id) => {
    const r = runs.get(id)!;
    expect(r.invariants.violations).toEqual([]);
    expect(r.invariants.inFlight).toBe(0);
    expect(r.run.stoppedEarly).toBeNull();
    expect(r.metrics.ipi.count).toBeGreaterThan(0);
  });

  it('work: sync-x86 < x86-halt < x86', () => {
    const work = (id: string) => runs.get(id)!.metrics.work;
    expect(work('x86-halt')).toBeGreaterThan(work('sync-x86'));
    expect(work('x86-halt')).toBeLessThan(work('x86'));
  });

  it('the senders wait far less on x86-halt than on sync-x86', () => {
    const wait = (id: string) => runs.get(id)!.metrics.ipi.waitNs;
    expect(wait('x86-halt')!.mean * 10).toBeLessThan(wait('sync-x86')!.mean);
    expect(wait('x86-halt')!.p99 * 10).toBeLessThan(wait('sync-x86')!.p99);
  });
});
