// The README's "Unit-test a backend" example, verbatim: it must keep working.
import { describe, expect, it } from 'vitest';
import { checkVariant, Harness, HARNESS_FIRST_MISSING_GFN, runVariant, loadScenario, x86Abi, x86Variant, createX86Backend, type Variant, type X86VcpuState } from 'apf-lab';

describe('my x86 checks', () => {
  it('a reserved EN bit is #GP, not a crash', () => {
    const h = new Harness<X86VcpuState>(x86Variant, { guestInit: false });
    const r = h.call({ kind: 'wrmsr', index: x86Abi.MSR_KVM_ASYNC_PF_EN, value: 0x100000n | 0x10n | 0x9n });
    expect(r).toEqual({ kind: 'fault', vector: '#GP' });
  });

  it('a user-mode fault injects #PF with the token in CR2', () => {
    const h = new Harness<X86VcpuState>(x86Variant);
    h.fault(HARNESS_FIRST_MISSING_GFN);
    expect(h.vcpu().state.lastPf).toEqual({ vector: 14, errorCode: 0, cr2: 0x1000 });
    h.enter(); // the guest's #PF handler runs: the task sleeps on the token
    expect(h.vcpu().current).toBeNull();
  });

  it('my variant: x86 that also delivers not-present in kernel mode', () => {
    const mine: Variant = {
      ...x86Variant,
      id: 'x86-always',
      createBackend: (ctx) => ({ ...createX86Backend(ctx), canDeliverAsyncPf: () => ({ ok: true }) }),
    };
    const r = runVariant(loadScenario('overcommit'), mine);
    // The invariant monitor catches the kernel-mode deliveries (invariant 4).
    expect(r.invariants.violations.some((v) => v.invariant === 4)).toBe(true);
    // So does apf-lab check, with the shortest order that shows it: a kernel-mode touch, an entry.
    const walk = checkVariant(mine, { vcpus: 1, pages: 2, depth: 3, contexts: ['user', 'kernel'] });
    const bad = walk.findings.find((f) => f.kind === 'invariant-4')!;
    expect(bad.steps.map((s) => s.kind)).toEqual(['fault', 'enter']);
  });

  it('x86 itself: every order of faults, completions and entries up to 4 steps on 2 vCPUs leaves nothing behind', () => {
    const walk = checkVariant(x86Variant, { vcpus: 2, pages: 2, depth: 4, contexts: ['user', 'kernel'] });
    expect(walk.exhaustive).toBe(true);
    expect(walk.findings).toEqual([]);
  });
});
